//! The walking skeleton's journeys: the store's catalog, kept in D1, served
//! by the worker and shown by the wallet in a real browser.

use e2e::api;
use e2e::browser::{block_on, step, wait_for_count};
use fantoccini::Locator;
use shared::wire::{CATALOG_QUERY_CHARS_MAX, CatalogPage, Health};

use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[
    (
        "catalog::api_serves_exactly_the_d1_rows",
        api_serves_exactly_the_d1_rows,
    ),
    (
        "catalog::api_search_narrows_and_is_literal",
        api_search_narrows_and_is_literal,
    ),
    (
        "catalog::api_errors_are_json_with_codes",
        api_errors_are_json_with_codes,
    ),
    (
        "catalog::page_shows_the_catalog_and_searches_it",
        page_shows_the_catalog_and_searches_it,
    ),
    (
        "catalog::openapi_document_is_served",
        openapi_document_is_served,
    ),
    (
        "catalog::api_pages_through_the_catalog",
        api_pages_through_the_catalog,
    ),
    (
        "catalog::page_has_strict_security_headers",
        page_has_strict_security_headers,
    ),
];

/// The products as the store's D1 table holds them, read through the
/// operator's storage dump (not the catalog route): (sku, name, price
/// string, stock), by name and sku.
fn d1_products(world: &World) -> Vec<(String, String, String, u64)> {
    let dump = e2e::operator::Operator::new(&world.server).get("/api/operator/store/dump");
    let mut products: Vec<(String, String, String, u64)> = dump["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let minor = row["unit_price_minor"].as_u64().unwrap();
            (
                row["sku"].as_str().unwrap().to_owned(),
                row["name"].as_str().unwrap().to_owned(),
                format!("{}.{:02}", minor / 100, minor % 100),
                row["stock"].as_u64().unwrap(),
            )
        })
        .collect();
    products.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    products
}

fn api_serves_exactly_the_d1_rows(world: &World) {
    // Goal: the catalog answer is the store's database, priced exactly.
    // Method: read the rows with `wrangler d1 execute` and compare.
    let health = api::get(&world.server.url("/api/health"));
    assert_eq!(
        (health.status, health.json::<Health>().status.as_str()),
        (200, "ok"),
        "the worker lacks secrets: `cargo xtask test` writes them to .dev.vars"
    );

    let expected = d1_products(world);
    assert!(expected.len() >= 5, "the demo catalog is seeded");
    let answer = api::get(&world.server.url("/api/catalog"));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/json"));
    let page: CatalogPage = answer.json();
    let served: Vec<(String, String, String, u64)> = page
        .products
        .iter()
        .map(|product| {
            (
                product.sku.clone(),
                product.name.clone(),
                product.unit_price.clone(),
                u64::from(product.stock),
            )
        })
        .collect();
    assert_eq!(served, expected);
    // The raw JSON carries the price as a string, never as a number.
    assert!(
        answer.body.contains(r#""unit_price":"14.50""#),
        "{}",
        answer.body
    );
}

fn api_search_narrows_and_is_literal(world: &World) {
    // Goal: `?q=` searches name and description; wildcards are literal.
    let search = |text: &str| -> Vec<String> {
        let url = format!("{}?q={text}", world.server.url("/api/catalog"));
        let answer = api::get(&url);
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer
            .json::<CatalogPage>()
            .products
            .into_iter()
            .map(|product| product.sku)
            .collect()
    };
    let everything = search("");
    let tea = search("tea");
    assert!(!tea.is_empty() && tea.len() < everything.len(), "{tea:?}");
    assert_eq!(search("KETTLE"), vec!["KETTLE-GOOSE".to_owned()]);
    // Found through its description only.
    assert_eq!(search("espresso"), vec!["GRINDER-BURR".to_owned()]);
    assert!(search("%25").is_empty(), "percent is taken literally");
    assert!(search("_").is_empty(), "underscore is taken literally");
    assert!(search("no-such-thing").is_empty());
    // The longest query the route takes is searched, never refused by the
    // database (a LIKE pattern this long was "too complex" for D1).
    assert!(search(&"0".repeat(CATALOG_QUERY_CHARS_MAX)).is_empty());
    assert!(search(&"%25_".repeat(CATALOG_QUERY_CHARS_MAX / 2)).is_empty());
}

fn api_pages_through_the_catalog(world: &World) {
    // Goal: pages of at most `limit` products, in order, that together make
    // the whole catalog. Method: walk the pages of three and compare.
    let page = |query: &str| -> CatalogPage {
        let answer = api::get(&format!("{}?{query}", world.server.url("/api/catalog")));
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.json()
    };
    let everything = page("");
    assert_eq!(everything.next_offset, None);
    let mut walked = Vec::new();
    let mut offset = Some(0);
    while let Some(at) = offset {
        let next = page(&format!("limit=3&offset={at}"));
        assert!(next.products.len() <= 3);
        walked.extend(next.products);
        offset = next.next_offset;
    }
    assert_eq!(walked, everything.products);
    assert!(
        page(&format!("offset={}", everything.products.len()))
            .products
            .is_empty()
    );
    for bad in [
        "limit=0",
        "limit=51",
        "limit=x",
        "offset=-1",
        "offset=10001",
    ] {
        let answer = api::get(&format!("{}?{bad}", world.server.url("/api/catalog")));
        assert_eq!(
            (answer.status, answer.error().code.as_str()),
            (422, "invalid_page"),
            "{bad}"
        );
    }
}

fn api_errors_are_json_with_codes(world: &World) {
    // Goal: every error is `{code, message}` with the right status.
    let too_long = "a".repeat(CATALOG_QUERY_CHARS_MAX + 1);
    let answer = api::get(&format!(
        "{}?q={too_long}",
        world.server.url("/api/catalog")
    ));
    assert_eq!(answer.status, 422);
    assert_eq!(answer.error().code, "query_too_long");

    let answer = api::get(&world.server.url("/api/no-such-route"));
    assert_eq!(answer.status, 404);
    assert_eq!(answer.error().code, "route_not_found");

    let answer = api::post_json(&world.server.url("/api/catalog"), &serde_json::json!({}));
    assert_eq!(answer.status, 405);
    assert_eq!(answer.error().code, "method_not_allowed");
    assert_eq!(
        answer.header("allow"),
        Some("GET, HEAD"),
        "RFC 9110 asks for Allow"
    );
    // HEAD is GET without the body.
    let head = api::request("HEAD", &world.server.url("/api/catalog"));
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "{}", head.body);
    // Any method a route does not serve, on every kind of route.
    for (method, path, allow) in [
        ("TRACE", "/api/openapi.json", "GET, HEAD"),
        ("PUT", "/api/quotes", "POST"),
        ("DELETE", "/api/orders/ord_x", "GET, HEAD"),
        ("PATCH", "/api/gateway/v1/payments/pay_x/refunds", "POST"),
        ("OPTIONS", "/api/store/orders/ord_x/ship", "POST"),
    ] {
        let answer = api::request(method, &world.server.url(path));
        assert_eq!(
            (answer.status, answer.header("allow")),
            (405, Some(allow)),
            "{method} {path}"
        );
        assert_eq!(answer.error().code, "method_not_allowed");
    }

    let answer = api::get(&world.server.url("/api/catalog"));
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert_eq!(
        answer.header("strict-transport-security"),
        Some("max-age=31536000; includeSubDomains"),
        "HTTPS only, from the first answer on"
    );
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
}

fn openapi_document_is_served(world: &World) {
    // Goal: the document the conformance check uses is the one served.
    let answer = api::get(&world.server.url("/api/openapi.json"));
    assert_eq!(answer.status, 200);
    let served: serde_json::Value = answer.json();
    let kept: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(e2e::workspace_root().join("gateway-worker/api/openapi.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(served, kept);
    assert_eq!(served["openapi"], "3.1.0");
}

fn page_has_strict_security_headers(world: &World) {
    // Goal: the wallet page forbids third-party and inline code.
    let page = api::get(&world.server.url("/"));
    assert_eq!(page.status, 200);
    let policy = page.header("content-security-policy").unwrap_or_default();
    for directive in [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
    ] {
        assert!(
            policy.contains(directive),
            "CSP lacks {directive}: {policy}"
        );
    }
    assert!(!page.body.contains("<script>"), "no inline script");
    // The page names its boot module by content; the boot module names
    // both wasm modules (the shell's, and the wallet's it loads later)
    // the same way; all may be kept for a year.
    let boot_path = asset_named(&page.body, "/assets/boot.", ".js");
    let boot = api::get(&world.server.url(&boot_path));
    assert_eq!(boot.status, 200);
    let wasm: Vec<_> = ["/assets/shell_bg.", "/assets/wallet_web_bg."]
        .iter()
        .map(|prefix| api::get(&world.server.url(&asset_named(&boot.body, prefix, ".wasm"))))
        .collect();
    for module in &wasm {
        assert_eq!(module.status, 200);
        assert_eq!(module.content_type, "application/wasm");
    }
    for asset in std::iter::once(&boot).chain(&wasm) {
        assert_eq!(
            asset.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
    }
    assert_eq!(
        page.header("cache-control"),
        Some("public, max-age=0, must-revalidate"),
        "the page itself is revalidated on every visit"
    );
    // An icon: the page links its own, and the address browsers and
    // bookmarks ask for answers one too.
    let icon = api::get(
        &world
            .server
            .url(&asset_named(&page.body, "/assets/favicon.", ".svg")),
    );
    assert_eq!(
        (icon.status, icon.content_type.as_str()),
        (200, "image/svg+xml")
    );
    let ico = api::get(&world.server.url("/favicon.ico"));
    assert_eq!(
        (ico.status, ico.content_type.as_str()),
        (200, "image/vnd.microsoft.icon")
    );
}

/// The path in `text` that starts with `prefix`, then 16 hex digits of
/// its content's hash, then `suffix` (a content-named asset).
fn asset_named(text: &str, prefix: &str, suffix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"));
    let hash = &text[start + prefix.len()..];
    let hash = &hash[..hash.find(suffix).unwrap()];
    assert!(
        hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{prefix}{hash}{suffix} is not named by a content hash"
    );
    format!("{prefix}{hash}{suffix}")
}

fn page_shows_the_catalog_and_searches_it(world: &World) {
    // Goal: a shopper sees the products D1 holds and can search them.
    // Method: headless Chromium loads the page, then types a search.
    let expected = d1_products(world);
    block_on(async {
        let client = world.driver.session().await;
        client.goto(&world.server.url("/")).await.unwrap();
        let names = wait_for_count(&client, "li.product .product-name", expected.len()).await;
        let expected_names: Vec<String> = expected.iter().map(|row| row.1.clone()).collect();
        assert_eq!(names, expected_names);
        let prices = wait_for_count(&client, "li.product .price", expected.len()).await;
        let expected_prices: Vec<String> = expected
            .iter()
            .map(|row| format!("USD {}", row.2))
            .collect();
        assert_eq!(prices, expected_prices);
        // Each product shows its drawn picture, served by this origin.
        let started = std::time::Instant::now();
        loop {
            let shown = client
                .execute(
                    "return [...document.querySelectorAll('li.product img.product-picture')]\n\
                       .filter(i => i.complete && i.naturalWidth > 0 && !i.hidden\n\
                                    && new URL(i.src).origin === location.origin).length;",
                    vec![],
                )
                .await
                .unwrap();
            if shown.as_u64() == Some(expected.len() as u64) {
                break;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "{shown} of {} pictures shown",
                expected.len()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        step(&client, "catalog", ".catalog-panel").await;

        let search = client.find(Locator::Css("#catalog-search")).await.unwrap();
        search.send_keys("kettle").await.unwrap();
        client
            .find(Locator::Css("form.search button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let found = wait_for_count(&client, "li.product .product-name", 1).await;
        assert_eq!(found, vec!["Gooseneck kettle, 1 l".to_owned()]);
        step(&client, "catalog-search", ".catalog-panel").await;
        client.close().await.unwrap();
    });
}
