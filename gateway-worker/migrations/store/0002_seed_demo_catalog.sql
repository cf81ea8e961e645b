-- The demo store's catalog: a small shop of kitchen and tea goods.
INSERT INTO products (sku, name, description, unit_price_minor, currency, stock) VALUES
    ('TEA-SENCHA-100', 'Sencha green tea, 100 g', 'Steamed Japanese green tea with a fresh, grassy cup.', 1450, 'USD', 40),
    ('TEA-ASSAM-250', 'Assam black tea, 250 g', 'Malty breakfast tea from Assam, strong enough for milk.', 1195, 'USD', 25),
    ('TEA-ROOIBOS-100', 'Rooibos, 100 g', 'Caffeine-free red bush tea with a honeyed finish.', 890, 'USD', 30),
    ('POT-CAST-IRON', 'Cast-iron teapot, 0.8 l', 'Enamelled cast-iron teapot with a stainless steel infuser.', 6400, 'USD', 6),
    ('KETTLE-GOOSE', 'Gooseneck kettle, 1 l', 'Stovetop kettle with a slow, precise pour for tea and coffee.', 4999, 'USD', 12),
    ('MUG-STONEWARE', 'Stoneware mug', 'Hand-glazed 350 ml mug; each glaze is a little different.', 1800, 'USD', 48),
    ('SCALE-0-1G', 'Kitchen scale, 0.1 g', 'Pocket scale for weighing leaves and grounds to a tenth of a gram.', 2250, 'USD', 15),
    ('GRINDER-BURR', 'Hand burr grinder', 'Ceramic burrs, adjustable from espresso to cold brew.', 5900, 'USD', 0);
