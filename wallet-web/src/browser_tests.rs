//! Browser tests: components rendered into a real DOM in headless Chromium.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use shared::money::Currency;
use shared::wire::Product;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::Element;

use crate::components::catalog_list::{CatalogList, CatalogListProps};

#[path = "../../shared/tests/support/sample_payment.rs"]
mod sample_payment;

wasm_bindgen_test_configure!(run_in_browser);

fn mount_point() -> Element {
    let document = gloo_utils::document();
    let element = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&element).unwrap();
    element
}

/// Lets Yew's scheduler run the pending render.
async fn rendered() {
    yew::platform::time::sleep(std::time::Duration::from_millis(10)).await;
}

#[wasm_bindgen_test]
async fn catalog_list_renders_each_product_with_its_exact_price() {
    // Goal: the DOM shows what the store sent. Method: mount the component
    // with two products and read the rendered text back.
    let root = mount_point();
    let products = vec![
        Product {
            sku: "TEA".into(),
            name: "Sencha".into(),
            description: "Green tea".into(),
            unit_price: "14.50".into(),
            currency: Currency::Usd,
            stock: 3,
        },
        Product {
            sku: "POT".into(),
            name: "Teapot".into(),
            description: "Cast iron".into(),
            unit_price: "64.00".into(),
            currency: Currency::Usd,
            stock: 0,
        },
    ];
    let props = CatalogListProps {
        products,
        on_add: yew::Callback::noop(),
        adding_disabled: false,
        in_order: vec![("TEA".to_owned(), 2)],
    };
    yew::Renderer::<CatalogList>::with_root_and_props(root.clone(), props).render();
    rendered().await;
    let items = root.query_selector_all("li.product").unwrap();
    assert_eq!(items.length(), 2);
    let text = root.text_content().unwrap();
    assert!(
        text.contains("Sencha") && text.contains("USD 14.50"),
        "{text}"
    );
    assert!(
        text.contains("USD 64.00") && text.contains("out of stock"),
        "{text}"
    );
    assert!(
        root.query_selector("[data-sku='POT'] .stock.out")
            .unwrap()
            .is_some()
    );
    // What is out of stock cannot be added; what is in the order says so.
    assert!(
        root.query_selector("[data-sku='POT'] button.add-to-order:disabled")
            .unwrap()
            .is_some()
    );
    assert!(text.contains("2 in your order"), "{text}");
}

#[wasm_bindgen_test]
async fn catalog_list_says_so_when_nothing_matches() {
    let root = mount_point();
    yew::Renderer::<CatalogList>::with_root_and_props(
        root.clone(),
        CatalogListProps {
            products: vec![],
            on_add: yew::Callback::noop(),
            adding_disabled: false,
            in_order: vec![],
        },
    )
    .render();
    rendered().await;
    assert_eq!(root.query_selector_all("li.product").unwrap().length(), 0);
    assert!(root.text_content().unwrap().contains("No products match"));
}

#[wasm_bindgen_test]
async fn the_wallets_seal_takes_its_x25519_from_webcrypto_and_opens_at_the_gateway() {
    // Goal: the seal the wallet pays with (X25519 by the browser's
    // WebCrypto, the rest in wasm) opens with the gateway's key, for each
    // of two keys in turn (the imported key is kept per key), with a fresh
    // ephemeral key each time.
    use crate::webcrypto;
    use shared::seal::{GatewayPrivateKey, seal_payment_encapsulated};
    use shared::sign::KeyId;
    let payment = sample_payment::sample_payment();
    let gateways = [
        GatewayPrivateKey::derive(KeyId::new("gw-a").unwrap(), &[7; 32]),
        GatewayPrivateKey::derive(KeyId::new("gw-b").unwrap(), &[8; 32]),
    ];
    let mut ephemeral_keys = Vec::new();
    for gateway in gateways.iter().chain(gateways.iter()) {
        let public = gateway.public_key(u64::MAX);
        let encapsulation = webcrypto::encapsulate(&public.public_key.0).await.unwrap();
        let sealed = seal_payment_encapsulated(&payment, &public, encapsulation).unwrap();
        ephemeral_keys.push(sealed.enc.0);
        assert_eq!(gateway.open(&sealed).unwrap(), payment);
    }
    ephemeral_keys.sort_unstable();
    ephemeral_keys.dedup();
    assert_eq!(ephemeral_keys.len(), 4);
}

#[wasm_bindgen_test]
fn the_shells_simd_check_tells_a_simd_module_from_a_broken_one() {
    // Goal: the shell's check for WebAssembly SIMD can tell: this Chromium
    // has SIMD, and the check does not pass whatever it is given. Method:
    // the probe validates; the same probe with its SIMD opcode (0xfd 0x0f,
    // i8x16.splat) made unreadable does not.
    use crate::hooks::use_shell_wallet::{SIMD_PROBE, validates};
    assert!(validates(&SIMD_PROBE));
    let mut broken = SIMD_PROBE;
    assert_eq!(broken[26..28], [0xfd, 0x0f]);
    broken[27] = 0xff;
    assert!(!validates(&broken));
}
