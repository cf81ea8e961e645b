//! The wallet in a real browser page: its vault (create a wallet, add two
//! cards, reload, unlock, and see them again; a wrong password is refused)
//! and its checkout (order, quote, a decline, another card, the receipt).
//! Screenshots land in `target/e2e/screenshots/`.

use std::time::Instant;

use e2e::browser::{
    ENTER, NARROW, SPACE, WIDE, block_on, click, fill, press, step, tab_to, type_text,
    wait_for_count, wait_for_text,
};
use fantoccini::{Client, Locator};

use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[
    (
        "wallet::a_quote_asked_in_the_shell_keeps_the_search_and_the_order",
        a_quote_asked_in_the_shell_keeps_the_search_and_the_order,
    ),
    (
        "wallet::create_add_cards_reload_and_unlock",
        create_add_cards_reload_and_unlock,
    ),
    (
        "wallet::checkout_declined_then_paid_with_another_card",
        checkout_declined_then_paid_with_another_card,
    ),
    (
        "wallet::orders_are_remembered_across_reloads",
        orders_are_remembered_across_reloads,
    ),
    (
        "wallet::a_phone_shopper_pays_with_the_keyboard_alone",
        a_phone_shopper_pays_with_the_keyboard_alone,
    ),
    (
        "wallet::a_passkey_unlocks_the_wallet",
        a_passkey_unlocks_the_wallet,
    ),
    (
        "wallet::a_browser_passkey_assertion_passes_the_issuers_check",
        a_browser_passkey_assertion_passes_the_issuers_check,
    ),
    (
        "wallet::a_card_confirmed_with_a_passkey_pays_with_the_device",
        a_card_confirmed_with_a_passkey_pays_with_the_device,
    ),
];

const PASSWORD: &str = "tea for two, and two for tea";

/// Whether the page has fetched the wallet's module.
async fn wallet_module_fetched(client: &Client) -> bool {
    client
        .execute(
            "return performance.getEntriesByType('resource')\n\
               .some(entry => new URL(entry.name).pathname.startsWith('/assets/wallet_web'));",
            vec![],
        )
        .await
        .unwrap()
        .as_bool()
        .unwrap()
}

fn a_quote_asked_in_the_shell_keeps_the_search_and_the_order(world: &World) {
    // Goal: the shop's first module holds no wallet code, and what the
    // shopper did in it survives the wallet's module taking over. Method:
    // with no wallet yet, search, add two products (one twice) and ask for
    // the quote: only then is the wallet's module fetched, and the quote
    // has both lines, the search box still says what was searched, and
    // the wallet offers to be created.
    block_on(async {
        let client = world.driver.session().await;
        client.goto(&world.server.url("/")).await.unwrap();
        wait_for_count(&client, "#new-password", 1).await;
        fill(&client, "#catalog-search", "tea").await;
        submit(&client, "form.search").await;
        for sku in ["TEA-ASSAM-250", "TEA-ASSAM-250", "TEA-ROOIBOS-100"] {
            let button = format!("li.product[data-sku='{sku}'] button.add-to-order");
            wait_for_count(&client, &button, 1).await;
            click(&client, &button).await;
        }
        wait_for_count(&client, "li.cart-line", 2).await;
        wait_for_text(&client, ".cart-subtotal", "Items: 3").await;
        assert!(
            !wallet_module_fetched(&client).await,
            "the shell fetched the wallet's module"
        );
        fill(&client, "#ship-name", "Ada Lovelace").await;
        fill(&client, "#ship-line-1", "12 St James's Square").await;
        fill(&client, "#ship-city", "London").await;
        fill(&client, "#ship-postal-code", "SW1Y 4JH").await;
        fill(&client, "#ship-country", "GB").await;
        fill(&client, "#ship-phone", "+44 20 7946 0000").await;
        submit(&client, "form.shipping").await;
        wait_for_text(&client, ".checkout .status", "signed and checked").await;
        assert!(wallet_module_fetched(&client).await);
        // Two product lines, then delivery and tax.
        let rows = client
            .find_all(Locator::Css("section.quote tbody tr"))
            .await
            .unwrap();
        assert_eq!(rows.len(), 4);
        // Each line's quantity, from its own cell: two Assam, one rooibos.
        let mut lines = Vec::new();
        for row in &rows[..2] {
            let cells = row.find_all(Locator::Css("td")).await.unwrap();
            lines.push((
                cells[0].text().await.unwrap(),
                cells[1].text().await.unwrap(),
            ));
        }
        lines.sort();
        assert!(lines[0].0.starts_with("Assam"), "{lines:?}");
        assert_eq!(lines[0].1, "2", "{lines:?}");
        assert!(lines[1].0.starts_with("Rooibos"), "{lines:?}");
        assert_eq!(lines[1].1, "1", "{lines:?}");
        let search = client
            .find(Locator::Css("#catalog-search"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(search.as_deref(), Some("tea"));
        wait_for_count(&client, "#new-password", 1).await;
        step(&client, "shell-quote-handed-over", ".checkout").await;
        client.close().await.unwrap();
    });
}

async fn submit(client: &Client, form_css: &str) {
    client
        .find(Locator::Css(&format!("{form_css} button[type=submit]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Opens the page and creates a wallet (screenshotting the form if named).
async fn create_wallet(world: &World, client: &Client, screenshot_name: Option<&str>) {
    create_wallet_at(client, &world.server.url("/"), screenshot_name).await;
}

/// Opens the page at `url` and creates a wallet there.
async fn create_wallet_at(client: &Client, url: &str, screenshot_name: Option<&str>) {
    client.goto(url).await.unwrap();
    wait_for_count(client, "#new-password", 1).await;
    fill(client, "#new-password", PASSWORD).await;
    fill(client, "#confirm-password", PASSWORD).await;
    if let Some(name) = screenshot_name {
        step(client, name, ".wallet").await;
    }
    submit(client, "form.vault-form").await;
    wait_for_text(client, ".wallet .status", "Wallet created and unlocked.").await;
}

/// Readable on a narrow phone: nothing wider than 360 px.
async fn assert_fits_a_phone(client: &Client) {
    client.set_window_size(NARROW.0, NARROW.1).await.unwrap();
    let width = client
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .unwrap();
    assert!(
        width.as_u64().is_some_and(|width| width <= 360),
        "page is {width} px wide at 360 px"
    );
}

async fn add_card(client: &Client, number: &str, expiry: &str, holder: &str, nickname: &str) {
    fill(client, "#card-number", number).await;
    fill(client, "#card-expiry", expiry).await;
    fill(client, "#card-holder", holder).await;
    fill(client, "#card-nickname", nickname).await;
    submit(client, "form.add-card").await;
}

fn create_add_cards_reload_and_unlock(world: &World) {
    block_on(async {
        let client = world.driver.session().await;
        create_wallet(world, &client, Some("wallet-create")).await;

        // The number is grouped and its network shown while typing.
        fill(&client, "#card-number", "4242424242424242").await;
        let grouped = client
            .find(Locator::Css("#card-number"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(grouped.as_deref(), Some("4242 4242 4242 4242"));
        wait_for_text(&client, "#card-number-feedback", "Visa: number looks right").await;
        add_card(
            &client,
            "4242424242424242",
            "12/30",
            "Ada Lovelace",
            "daily",
        )
        .await;
        wait_for_count(&client, "li.wallet-card", 1).await;
        // The expiry typed as digits only: the slash goes in as it is typed.
        fill(&client, "#card-expiry", "0629").await;
        let typed = client
            .find(Locator::Css("#card-expiry"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(typed.as_deref(), Some("06/29"));
        add_card(
            &client,
            "5555555555554444",
            "0629",
            "Ada Lovelace",
            "travel",
        )
        .await;
        let cards = wait_for_count(&client, "li.wallet-card", 2).await;
        assert!(
            cards[0].contains("•••• 4242") && cards[0].contains("daily"),
            "{cards:?}"
        );
        assert!(
            cards[1].contains("•••• 4444") && cards[1].contains("Mastercard"),
            "{cards:?}"
        );
        // A card that fails its checksum is refused with the field named.
        add_card(&client, "4242424242424241", "12/30", "Ada Lovelace", "typo").await;
        wait_for_text(&client, ".wallet .status", "Card number").await;
        wait_for_count(&client, "li.wallet-card", 2).await;
        step(&client, "wallet-cards", ".wallet").await;

        // Reload: the wallet is locked; a wrong password is refused.
        client.refresh().await.unwrap();
        wait_for_count(&client, "#unlock-password", 1).await;
        fill(&client, "#unlock-password", "not the password").await;
        submit(&client, "form.vault-form").await;
        wait_for_text(&client, ".wallet .status", "Wrong password").await;
        fill(&client, "#unlock-password", PASSWORD).await;
        let started = Instant::now();
        submit(&client, "form.vault-form").await;
        let cards = wait_for_count(&client, "li.wallet-card", 2).await;
        println!(
            "bench wallet: unlock with default Argon2id (64 MiB, 3 passes, 4 lanes) in headless Chromium, submit to cards shown: {:.0} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
        assert!(cards.iter().any(|card| card.contains("•••• 4242")));
        step(&client, "wallet-unlocked", ".wallet").await;

        // Readable on a narrow phone: nothing wider than 360 px.
        assert_fits_a_phone(&client).await;
        client.set_window_size(WIDE.0, WIDE.1).await.unwrap();

        // Locking drops the cards from the page.
        client
            .find(Locator::Css(".wallet-actions button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_count(&client, "#unlock-password", 1).await;
        wait_for_count(&client, "li.wallet-card", 0).await;
        step(&client, "wallet-locked", ".wallet").await;
        client.close().await.unwrap();
    });
}

/// Orders one rooibos, shipped to Ada, and asks for the store's quote
/// (trying the quantity steppers on the way if asked).
async fn order_rooibos(client: &Client, try_steppers: bool) {
    wait_for_count(client, "li.product[data-sku='TEA-ROOIBOS-100']", 1).await;
    client
        .find(Locator::Css(
            "li.product[data-sku='TEA-ROOIBOS-100'] button.add-to-order",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_count(client, "li.cart-line", 1).await;
    // The steppers: one more makes two, one fewer one again.
    let quantity = |client: &Client| {
        let client = client.clone();
        async move {
            client
                .find(Locator::Css("li.cart-line input.quantity"))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap()
        }
    };
    if try_steppers {
        click(client, "li.cart-line button.step.more").await;
        wait_for_text(client, ".cart-subtotal", "Items: 2").await;
        assert_eq!(quantity(client).await.as_deref(), Some("2"));
        click(client, "li.cart-line button.step.fewer").await;
        wait_for_text(client, ".cart-subtotal", "Items: 1").await;
        assert_eq!(quantity(client).await.as_deref(), Some("1"));
    }
    fill(client, "#ship-name", "Ada Lovelace").await;
    fill(client, "#ship-line-1", "12 St James's Square").await;
    fill(client, "#ship-city", "London").await;
    fill(client, "#ship-postal-code", "SW1Y 4JH").await;
    fill(client, "#ship-country", "GB").await;
    fill(client, "#ship-phone", "+44 20 7946 0000").await;
    if try_steppers {
        step(client, "checkout-shipping", ".checkout").await;
    }
    submit(client, "form.shipping").await;
}

/// Unlocks the wallet after a reload or a lock.
async fn unlock(client: &Client) {
    wait_for_count(client, "#unlock-password", 1).await;
    fill(client, "#unlock-password", PASSWORD).await;
    submit(client, "form.vault-form").await;
    wait_for_text(client, ".wallet .status", "Wallet unlocked").await;
}

/// Pays with the wallet's card ending `last_four` (the demo card `name`,
/// for its security code) and waits for the receipt to check out.
async fn pay_and_see_the_receipt(client: &Client, last_four: &str, name: &str) {
    let card = crate::payment::demo_card(name);
    choose_card(client, last_four).await;
    fill(client, "#pay-cvc", card.cvc.reveal_digits()).await;
    submit(client, "form.pay").await;
    wait_for_text(client, ".paid h3", "Order paid").await;
    wait_for_text(client, ".receipt .verified", "signatures check out").await;
}

/// Picks the pay form's card whose label shows `last_four`.
async fn choose_card(client: &Client, last_four: &str) {
    for label in client
        .find_all(Locator::Css("label.pay-card"))
        .await
        .unwrap()
    {
        if label.text().await.unwrap().contains(last_four) {
            label
                .find(Locator::Css("input"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            return;
        }
    }
    panic!("no card ending {last_four} to pay with");
}

fn checkout_declined_then_paid_with_another_card(world: &World) {
    // Goal: the seed's flow in the page. Method: a wallet with the card
    // that is short of funds and one that pays; order a product, get the
    // store's quote, pay with the first (declined, the order stays), then
    // with the second; the receipt's signatures check out in the page and
    // the store's own record says paid.
    let _keys = crate::payment::keyring_read();
    block_on(async {
        let client = world.driver.session().await;
        create_wallet(world, &client, None).await;
        add_card(&client, "4000000000009995", "12/30", "Ben Okafor", "ben").await;
        wait_for_count(&client, "li.wallet-card", 1).await;
        add_card(&client, "4242424242424242", "12/30", "Ada Lovelace", "ada").await;
        wait_for_count(&client, "li.wallet-card", 2).await;

        // The order: one rooibos, shipped to Ada.
        order_rooibos(&client, true).await;
        let total = wait_for_text(&client, ".quote-total", ".").await;
        wait_for_text(&client, ".checkout .status", "signed and checked").await;
        step(&client, "checkout-quote", ".checkout").await;

        // Short of funds: declined, and the same order waits for another card.
        let short = crate::payment::demo_card("visa-short-of-funds");
        choose_card(&client, "9995").await;
        fill(&client, "#pay-cvc", short.cvc.reveal_digits()).await;
        submit(&client, "form.pay").await;
        wait_for_text(&client, ".checkout-alert", "insufficient funds").await;
        step(&client, "checkout-declined", ".checkout").await;
        assert_eq!(wait_for_text(&client, ".quote-total", ".").await, total);

        pay_and_see_the_receipt(&client, "4242", "visa-pays").await;
        let receipt = wait_for_text(&client, ".receipt", "4242").await;
        assert!(receipt.contains(&total), "{receipt}");
        let events = wait_for_count(&client, ".order-events li", 3).await;
        assert!(events[2].contains("captured"), "{events:?}");
        step(&client, "checkout-paid", ".checkout").await;
        // The receipt and the order read on a narrow phone too, where the
        // order sits below the catalog and the link at the top leads to it.
        assert_fits_a_phone(&client).await;
        wait_for_text(&client, "a.to-order", "Your order: 1 item").await;
        click(&client, "a.to-order").await;
        client.set_window_size(WIDE.0, WIDE.1).await.unwrap();

        // The store's own record agrees.
        let order_id = client
            .find(Locator::Css("section.paid"))
            .await
            .unwrap()
            .attr("data-order-id")
            .await
            .unwrap()
            .unwrap();
        let dump = e2e::operator::Operator::new(&world.server).get("/api/operator/store/dump");
        let row = dump["orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["order_id"] == order_id.as_str())
            .cloned()
            .unwrap();
        assert_eq!(row["status"], "paid");
        // The page keeps no card number or security code in its DOM.
        let html = client.source().await.unwrap();
        assert!(!html.contains("4242424242424242") && !html.contains("4242 4242 4242 4242"));

        // The shopper changes their mind before it ships: asked once more,
        // the order is canceled and the refund shows among its events.
        click(&client, "button.cancel-order").await;
        click(&client, "button.confirm-cancel").await;
        wait_for_text(&client, ".paid h3", "Order canceled").await;
        wait_for_text(&client, ".checkout .status", "refunded the full amount").await;
        let events = wait_for_count(&client, ".order-events li", 4).await;
        assert!(
            events[3].contains("refunded") && events[3].contains(&total),
            "{events:?}"
        );
        step(&client, "checkout-canceled", ".checkout").await;
        client.close().await.unwrap();
    });
}

/// Keeps the store's answer to the page's quote request where the test
/// can read it (`window.quoteAnswer`): the order's client secret, which
/// the page never shows, is what the test then looks for at rest.
const KEEP_QUOTE_ANSWER: &str = "
    const fetched = window.fetch.bind(window);
    window.fetch = async (input, init) => {
        const response = await fetched(input, init);
        const url = typeof input === 'string' ? input : input.url;
        if (url.endsWith('/api/quotes')) {
            window.quoteAnswer = await response.clone().json();
        }
        return response;
    };";

/// Every value in the wallet's `orders` store, as stored.
const READ_STORED_ORDERS: &str = "
    const done = arguments[arguments.length - 1];
    const opening = indexedDB.open('wallet');
    opening.onerror = () => done(null);
    opening.onsuccess = () => {
        const reading = opening.result.transaction('orders').objectStore('orders').getAll();
        reading.onsuccess = () => done(reading.result);
        reading.onerror = () => done(null);
    };";

fn orders_are_remembered_across_reloads(world: &World) {
    // Goal: the wallet remembers the shopper's orders (issue 14): an order
    // awaiting payment resumes after a reload, a paid one keeps its
    // receipt, which checks out again and downloads as the signed JSON,
    // and the list follows the order as the store ships it. Nothing of an
    // order is readable in IndexedDB. Method: quote without paying, reload,
    // unlock, resume and pay; ship through the back office; lock, unlock
    // and read the list; then read the stored records behind the page.
    let _keys = crate::payment::keyring_read();
    block_on(async {
        let client = world.driver.session().await;
        create_wallet(world, &client, None).await;
        add_card(&client, "4242424242424242", "12/30", "Ada Lovelace", "ada").await;
        wait_for_count(&client, "li.wallet-card", 1).await;
        wait_for_text(&client, ".orders-panel", "Orders you place are kept here").await;

        client.execute(KEEP_QUOTE_ANSWER, vec![]).await.unwrap();
        order_rooibos(&client, false).await;
        wait_for_text(&client, ".checkout .status", "signed and checked").await;
        let answer = client
            .execute("return window.quoteAnswer;", vec![])
            .await
            .unwrap();
        let order_id = answer["order_id"].as_str().unwrap().to_owned();
        let client_secret = answer["client_secret"].as_str().unwrap().to_owned();
        assert!(client_secret.len() > 20, "{answer}");
        let listed = wait_for_text(&client, "li.order-summary", "awaiting payment").await;
        assert!(listed.contains("1 item"), "{listed}");

        // A reload forgets nothing: locked, then unlocked, the order waits.
        client.refresh().await.unwrap();
        unlock(&client).await;
        wait_for_text(&client, "li.order-summary", "awaiting payment").await;
        step(&client, "orders-awaiting-payment", ".orders-panel").await;
        click(
            &client,
            &format!("li.order-summary[data-order-id='{order_id}'] button"),
        )
        .await;
        wait_for_text(&client, ".checkout .status", "is awaiting payment").await;
        wait_for_text(&client, ".quote h3", "The store's quote").await;
        step(&client, "orders-resumed", ".checkout").await;
        pay_and_see_the_receipt(&client, "4242", "visa-pays").await;
        // The result has the keyboard's focus.
        let focused = client
            .execute("return document.activeElement.id;", vec![])
            .await
            .unwrap();
        assert_eq!(focused, "paid-heading");
        wait_for_text(&client, "li.order-summary", "paid").await;
        let bought = wait_for_text(&client, "ul.bought", "Rooibos").await;
        assert!(bought.contains("1 ×"), "{bought}");
        wait_for_text(&client, "address.ships-to", "SW1Y 4JH").await;

        // The receipt downloads as the store's signed JSON.
        let link = client
            .find(Locator::Css("a.download-receipt"))
            .await
            .unwrap();
        assert_eq!(
            link.attr("download").await.unwrap().as_deref(),
            Some(format!("receipt-{order_id}.json").as_str())
        );
        let href = link.attr("href").await.unwrap().unwrap();
        let encoded = href
            .strip_prefix("data:application/json;charset=utf-8,")
            .unwrap();
        let json = percent_decode(encoded);
        let receipt: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(receipt["body"]["order_id"], order_id.as_str());
        assert!(
            receipt["signature"]["value"].as_str().is_some(),
            "{receipt}"
        );
        assert!(
            receipt["body"]["authorization"]["signature"]["kid"]
                .as_str()
                .is_some_and(|kid| kid.starts_with("gw-authorization-")),
            "{receipt}"
        );
        step(&client, "orders-receipt", ".checkout").await;
        // Printed, the receipt stands alone: the shop, the wallet and the
        // buttons are not on the page.
        e2e::browser::emulate_media(&client, Some("print")).await;
        let shown = client
            .execute(
                "return ['.catalog-panel', '.wallet', '.paid-actions', '.receipt', 'ul.bought']
                   .map(css => getComputedStyle(document.querySelector(css)).display !== 'none');",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(shown, serde_json::json!([false, false, false, true, true]));
        e2e::browser::screenshot(&client, "orders-receipt-print").await;
        e2e::browser::emulate_media(&client, None).await;

        // The store ships it; the wallet learns so when it next unlocks.
        let shipped = crate::aftersale::staff(
            world,
            &order_id,
            "ship",
            None,
            &serde_json::json!({ "tracking": "TRK-E2E-7" }),
        );
        assert_eq!(shipped.status, 200, "{}", shipped.body);
        click(&client, ".wallet-actions button").await;
        unlock(&client).await;
        let listed = wait_for_text(&client, "li.order-summary", "shipped").await;
        assert!(listed.contains("tracking TRK-E2E-7"), "{listed}");
        step(&client, "orders-shipped", ".orders-panel").await;
        // Opened from the list, its receipt is checked again from the record.
        click(&client, ".paid-actions button.new-order").await;
        click(
            &client,
            &format!("li.order-summary[data-order-id='{order_id}'] button"),
        )
        .await;
        wait_for_text(&client, ".paid h3", "Order shipped").await;
        wait_for_text(&client, ".receipt .verified", "signatures check out").await;
        wait_for_text(&client, ".order-events", "tracking TRK-E2E-7").await;

        // At rest: one sealed record, and nothing of the order readable.
        let stored = client
            .execute_async(READ_STORED_ORDERS, vec![])
            .await
            .unwrap();
        let stored = stored.as_array().unwrap();
        assert_eq!(stored.len(), 1);
        let text = stored[0].as_str().unwrap();
        let fields: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut names: Vec<&str> = fields
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        assert_eq!(names, vec!["ciphertext", "nonce"]);
        for plain in [
            client_secret.as_str(),
            order_id.as_str(),
            "Ada Lovelace",
            "St James",
            "Rooibos",
            "TRK-E2E-7",
        ] {
            assert!(!text.contains(plain), "{plain} readable at rest");
        }
        client.close().await.unwrap();
    });
}

/// Decodes `%XX` escapes (what `encodeURIComponent` wrote).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap();
            decoded.push(u8::from_str_radix(hex, 16).unwrap());
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).unwrap()
}

/// Reaches the field `css` with the Tab key and types `text` into it.
async fn tab_and_type(client: &Client, css: &str, text: &str) {
    tab_to(client, css).await;
    type_text(client, text).await;
}

fn a_phone_shopper_pays_with_the_keyboard_alone(world: &World) {
    // Goal: every step of the shop works from the keyboard alone on a
    // phone-sized screen (issue 14). Method: at 360 px, with only Tab,
    // typing, Space and Enter: create the wallet, add a card, add a
    // product, fill in the consignee, get the quote, choose the card and
    // pay; the receipt takes the focus.
    let _keys = crate::payment::keyring_read();
    block_on(async {
        let client = world.driver.session().await;
        client.set_window_size(NARROW.0, NARROW.1).await.unwrap();
        client.goto(&world.server.url("/")).await.unwrap();
        wait_for_count(&client, "#new-password", 1).await;
        tab_and_type(&client, "#new-password", PASSWORD).await;
        tab_and_type(&client, "#confirm-password", PASSWORD).await;
        press(&client, ENTER).await;
        wait_for_text(&client, ".wallet .status", "Wallet created and unlocked.").await;

        tab_and_type(&client, "#card-number", "4242424242424242").await;
        tab_and_type(&client, "#card-expiry", "1230").await;
        tab_and_type(&client, "#card-holder", "Ada Lovelace").await;
        press(&client, ENTER).await;
        wait_for_count(&client, "li.wallet-card", 1).await;

        wait_for_count(&client, "li.product[data-sku='TEA-ROOIBOS-100']", 1).await;
        tab_to(
            &client,
            "li.product[data-sku='TEA-ROOIBOS-100'] button.add-to-order",
        )
        .await;
        press(&client, ENTER).await;
        wait_for_count(&client, "li.cart-line", 1).await;
        tab_and_type(&client, "#ship-name", "Ada Lovelace").await;
        tab_and_type(&client, "#ship-line-1", "12 St James's Square").await;
        tab_and_type(&client, "#ship-city", "London").await;
        tab_and_type(&client, "#ship-postal-code", "SW1Y 4JH").await;
        tab_and_type(&client, "#ship-country", "GB").await;
        tab_and_type(&client, "#ship-phone", "+44 20 7946 0000").await;
        press(&client, ENTER).await;
        wait_for_text(&client, ".checkout .status", "signed and checked").await;

        tab_to(&client, "label.pay-card input").await;
        press(&client, SPACE).await;
        let pays = crate::payment::demo_card("visa-pays");
        tab_and_type(&client, "#pay-cvc", pays.cvc.reveal_digits()).await;
        press(&client, ENTER).await;
        wait_for_text(&client, ".paid h3", "Order paid").await;
        wait_for_text(&client, ".receipt .verified", "signatures check out").await;
        let focused = client
            .execute("return document.activeElement.id;", vec![])
            .await
            .unwrap();
        assert_eq!(focused, "paid-heading");
        assert_fits_a_phone(&client).await;
        client.close().await.unwrap();
    });
}

fn a_passkey_unlocks_the_wallet(world: &World) {
    // Goal: the shopper unlocks the wallet with a passkey (issue 16): add
    // one, reload, unlock with it; change the password and it still
    // unlocks; remove it and it no longer does. Method: Chromium with a
    // virtual platform authenticator (user verification, PRF), the page
    // opened at localhost (a relying party cannot be an IP address).
    block_on(async {
        let client = world.driver.session().await;
        e2e::browser::add_virtual_authenticator(&client).await;
        create_wallet_at(&client, &world.server.localhost_url("/"), None).await;
        add_card(&client, "4242424242424242", "12/30", "Ada Lovelace", "ada").await;
        wait_for_count(&client, "li.wallet-card", 1).await;

        click(&client, "button.add-passkey").await;
        wait_for_text(&client, ".wallet .status", "Passkey added").await;
        wait_for_count(&client, "li.passkey", 1).await;
        step(&client, "wallet-passkeys", ".passkeys").await;

        // A reload: the locked wallet offers the passkey.
        client.refresh().await.unwrap();
        wait_for_count(&client, "button.unlock-passkey", 1).await;
        step(&client, "wallet-unlock-with-passkey", ".wallet").await;
        click(&client, "button.unlock-passkey").await;
        wait_for_text(&client, ".wallet .status", "unlocked with your passkey").await;
        wait_for_count(&client, "li.wallet-card", 1).await;

        // A new password: the passkey still unlocks.
        click(&client, "details.change-password summary").await;
        fill(&client, "#current-password", PASSWORD).await;
        fill(&client, "#changed-password", "a brand new long password").await;
        fill(
            &client,
            "#changed-password-again",
            "a brand new long password",
        )
        .await;
        submit(&client, "details.change-password form").await;
        wait_for_text(&client, ".wallet .status", "Password changed.").await;
        click(&client, ".wallet-actions button").await;
        click(&client, "button.unlock-passkey").await;
        wait_for_text(&client, ".wallet .status", "unlocked with your passkey").await;
        wait_for_count(&client, "li.wallet-card", 1).await;

        // Removed (with the password, since the wallet's key is replaced),
        // no passkey unlocks: the wallet asks for the password.
        click(&client, "button.remove-passkeys").await;
        fill(
            &client,
            "#remove-passkeys-password",
            "a brand new long password",
        )
        .await;
        step(&client, "wallet-remove-passkeys", ".passkeys").await;
        click(&client, "button.confirm-remove-passkeys").await;
        wait_for_text(&client, ".wallet .status", "Passkeys removed").await;
        wait_for_count(&client, "li.passkey", 0).await;
        click(&client, ".wallet-actions button").await;
        wait_for_count(&client, "#unlock-password", 1).await;
        wait_for_count(&client, "button.unlock-passkey", 0).await;
        client.close().await.unwrap();

        // At 127.0.0.1 the wallet says why it cannot offer passkeys.
        let client = world.driver.session().await;
        create_wallet(world, &client, None).await;
        wait_for_text(&client, ".passkeys-unavailable", "http://localhost:8787").await;
        wait_for_count(&client, "button.add-passkey", 0).await;
        client.close().await.unwrap();
    });
}

/// In the page: creates a passkey (ES256), asks it to sign `challenge`
/// (base64url), and answers the public key (SPKI DER) and the assertion's
/// parts, each base64url.
const MAKE_ASSERTION: &str = "
    const done = arguments[arguments.length - 1];
    const fromB64 = text => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0));
    const toB64 = buffer => btoa(String.fromCharCode(...new Uint8Array(buffer)))
        .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
    (async () => {
        const created = await navigator.credentials.create({ publicKey: {
            rp: { name: 'Wallet' },
            user: { id: crypto.getRandomValues(new Uint8Array(16)), name: 'card', displayName: 'Card' },
            challenge: crypto.getRandomValues(new Uint8Array(32)),
            pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
            authenticatorSelection: { userVerification: 'required', residentKey: 'preferred' },
        } });
        const asserted = await navigator.credentials.get({ publicKey: {
            challenge: fromB64(arguments[0]),
            allowCredentials: [{ type: 'public-key', id: created.rawId }],
            userVerification: 'required',
        } });
        return {
            public_key: toB64(created.response.getPublicKey()),
            credential_id: toB64(asserted.rawId),
            authenticator_data: toB64(asserted.response.authenticatorData),
            client_data_json: toB64(asserted.response.clientDataJSON),
            signature: toB64(asserted.response.signature),
        };
    })().then(done, error => done({ error: String(error) }));";

fn a_browser_passkey_assertion_passes_the_issuers_check(world: &World) {
    // Goal: what a real browser's passkey signs for a payment is what the
    // issuer's check (`shared::assertion`, for issue 16's confirmation of
    // each payment) accepts: ES256 signatures in DER, the SPKI key from
    // `getPublicKey()`, the client data's challenge, origin and type, the
    // user-verified flag and the counter. Method: Chromium with a virtual
    // authenticator signs the digest of a payment's binding; the check
    // accepts it for that payment, refuses it for another amount, and
    // refuses it again (a replay: the counter did not move on).
    use shared::assertion::{
        AssertionError, PaymentAssertion, RelyingParty, payment_challenge, verify_payment_assertion,
    };
    use shared::encoding::{from_base64url, to_base64url};
    use shared::money::{Currency, Money};
    use shared::seal::PaymentBinding;
    let binding = |amount: &str| PaymentBinding {
        payment_id: "pay_browser".to_owned(),
        merchant_id: "m_teashop".to_owned(),
        amount: Money::parse_non_negative(amount, Currency::Usd).unwrap(),
        quote_digest: shared::encoding::Bytes([5; 32]),
        attempt_id: "att_browser".to_owned(),
        created_at_ms: 1,
    };
    let challenge = payment_challenge(&binding("10.72"));
    let made = block_on(async {
        let client = world.driver.session().await;
        e2e::browser::add_virtual_authenticator(&client).await;
        client.goto(&world.server.localhost_url("/")).await.unwrap();
        wait_for_count(&client, "#new-password", 1).await;
        let made = client
            .execute_async(
                MAKE_ASSERTION,
                vec![serde_json::Value::from(to_base64url(&challenge))],
            )
            .await
            .unwrap();
        client.close().await.unwrap();
        made
    });
    assert!(made.get("error").is_none(), "{made}");
    let part = |name: &str| from_base64url(made[name].as_str().unwrap(), 4096).unwrap();
    let assertion = PaymentAssertion {
        credential_id: part("credential_id"),
        authenticator_data: part("authenticator_data"),
        client_data_json: part("client_data_json"),
        signature: part("signature"),
    };
    let relying_party = RelyingParty { id: "localhost" };
    let public_key = part("public_key");
    let counter = verify_payment_assertion(&assertion, &public_key, &challenge, &relying_party, 0)
        .expect("the browser's assertion verifies");
    assert_eq!(
        verify_payment_assertion(
            &assertion,
            &public_key,
            &payment_challenge(&binding("10.73")),
            &relying_party,
            0
        ),
        Err(AssertionError::WrongChallenge)
    );
    // Chromium's virtual authenticator keeps a signature counter: the
    // same assertion again is a replay.
    assert!(counter > 0, "the authenticator keeps no counter");
    assert_eq!(
        verify_payment_assertion(&assertion, &public_key, &challenge, &relying_party, counter),
        Err(AssertionError::CounterNotAdvanced)
    );
}

fn a_card_confirmed_with_a_passkey_pays_with_the_device(world: &World) {
    // Goal: issue 16 in the page. Method: at localhost, with a virtual
    // authenticator, a card printed for this journey pays once with "confirm
    // with a passkey from now on" ticked (the issuer enrolls the passkey; the
    // receipt says the card's code verified the customer), then pays a new
    // order: the wallet asks the passkey for an assertion of that payment,
    // and the receipt says the card's passkey verified the customer.
    let _keys = crate::payment::keyring_read();
    let card = crate::issuer::card_details_of(&crate::issuer::print_test_card(
        &e2e::operator::Operator::new(&world.server),
    ));
    let number = card.number.reveal_digits().to_owned();
    let last_four = number[number.len() - 4..].to_owned();
    let expiry = format!("{:02}/{:02}", card.expiry.month(), card.expiry.year() % 100);
    block_on(async {
        let client = world.driver.session().await;
        e2e::browser::add_virtual_authenticator(&client).await;
        create_wallet_at(&client, &world.server.localhost_url("/"), None).await;
        add_card(&client, &number, &expiry, "Test Cardholder", "printed").await;
        wait_for_count(&client, "li.wallet-card", 1).await;

        // First payment: the card's passkey is enrolled with its issuer.
        order_rooibos(&client, false).await;
        wait_for_text(&client, ".checkout .status", "signed and checked").await;
        choose_card(&client, &last_four).await;
        fill(&client, "#pay-cvc", card.cvc.reveal_digits()).await;
        click(&client, "#pay-enroll-passkey").await;
        step(&client, "checkout-passkey-enroll", ".checkout").await;
        submit(&client, "form.pay").await;
        wait_for_text(&client, ".paid h3", "Order paid").await;
        wait_for_text(&client, ".receipt .customer-verification", "security code").await;
        wait_for_text(&client, ".wallet .status", "confirmed with your passkey").await;

        // Second payment: confirmed with the passkey on the device.
        click(&client, ".paid-actions button.new-order").await;
        order_rooibos(&client, false).await;
        wait_for_text(&client, ".checkout .status", "signed and checked").await;
        wait_for_text(&client, "label.pay-card", "confirmed with a passkey").await;
        choose_card(&client, &last_four).await;
        fill(&client, "#pay-cvc", card.cvc.reveal_digits()).await;
        submit(&client, "form.pay").await;
        wait_for_text(&client, ".paid h3", "Order paid").await;
        wait_for_text(&client, ".receipt .verified", "signatures check out").await;
        wait_for_text(&client, ".receipt .customer-verification", "passkey").await;
        step(&client, "checkout-passkey-paid", ".checkout").await;
        client.close().await.unwrap();
    });
}
