//! The wallet in a real browser page: its vault (create a wallet, add two
//! cards, reload, unlock, and see them again; a wrong password is refused)
//! and its checkout (order, quote, a decline, another card, the receipt).
//! Screenshots land in `target/e2e/screenshots/`.

use std::time::Instant;

use e2e::browser::{block_on, screenshot, wait_for_count, wait_for_text};
use fantoccini::{Client, Locator};

use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[
    (
        "wallet::create_add_cards_reload_and_unlock",
        create_add_cards_reload_and_unlock,
    ),
    (
        "wallet::checkout_declined_then_paid_with_another_card",
        checkout_declined_then_paid_with_another_card,
    ),
];

const PASSWORD: &str = "tea for two, and two for tea";

async fn fill(client: &Client, css: &str, text: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
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
    client.goto(&world.server.url("/")).await.unwrap();
    wait_for_count(client, "#new-password", 1).await;
    fill(client, "#new-password", PASSWORD).await;
    fill(client, "#confirm-password", PASSWORD).await;
    if let Some(name) = screenshot_name {
        screenshot(client, name).await;
    }
    submit(client, "form.vault-form").await;
    wait_for_text(client, ".wallet .status", "Wallet created and unlocked.").await;
}

/// Readable on a narrow phone: nothing wider than 360 px.
async fn assert_fits_a_phone(client: &Client) {
    client.set_window_size(360, 800).await.unwrap();
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
        screenshot(&client, "wallet-cards").await;

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
        screenshot(&client, "wallet-unlocked").await;

        // Readable on a narrow phone: nothing wider than 360 px.
        assert_fits_a_phone(&client).await;
        screenshot(&client, "wallet-360px").await;

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
        client.close().await.unwrap();
    });
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
        wait_for_count(&client, "li.product[data-sku='TEA-ROOIBOS-100']", 1).await;
        client
            .find(Locator::Css(
                "li.product[data-sku='TEA-ROOIBOS-100'] button.add-to-order",
            ))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_count(&client, "li.cart-line", 1).await;
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
        click(&client, "li.cart-line button.step.more").await;
        wait_for_text(&client, ".cart-subtotal", "Items: 2").await;
        assert_eq!(quantity(&client).await.as_deref(), Some("2"));
        click(&client, "li.cart-line button.step.fewer").await;
        wait_for_text(&client, ".cart-subtotal", "Items: 1").await;
        assert_eq!(quantity(&client).await.as_deref(), Some("1"));
        fill(&client, "#ship-name", "Ada Lovelace").await;
        fill(&client, "#ship-line-1", "12 St James's Square").await;
        fill(&client, "#ship-city", "London").await;
        fill(&client, "#ship-postal-code", "SW1Y 4JH").await;
        fill(&client, "#ship-country", "GB").await;
        fill(&client, "#ship-phone", "+44 20 7946 0000").await;
        submit(&client, "form.shipping").await;
        let total = wait_for_text(&client, ".quote-total", ".").await;
        wait_for_text(&client, ".checkout .status", "signed and checked").await;
        screenshot(&client, "checkout-quote").await;

        // Short of funds: declined, and the same order waits for another card.
        let short = crate::payment::demo_card("visa-short-of-funds");
        choose_card(&client, "9995").await;
        fill(&client, "#pay-cvc", short.cvc.reveal_digits()).await;
        submit(&client, "form.pay").await;
        wait_for_text(&client, ".checkout-alert", "insufficient funds").await;
        screenshot(&client, "checkout-declined").await;
        assert_eq!(wait_for_text(&client, ".quote-total", ".").await, total);

        let pays = crate::payment::demo_card("visa-pays");
        choose_card(&client, "4242").await;
        fill(&client, "#pay-cvc", pays.cvc.reveal_digits()).await;
        submit(&client, "form.pay").await;
        wait_for_text(&client, ".paid h3", "Order paid").await;
        wait_for_text(&client, ".receipt .verified", "signatures check out").await;
        let receipt = wait_for_text(&client, ".receipt", "4242").await;
        assert!(receipt.contains(&total), "{receipt}");
        let events = wait_for_count(&client, ".order-events li", 3).await;
        assert!(events[2].contains("captured"), "{events:?}");
        screenshot(&client, "checkout-paid").await;
        // The receipt and the order read on a narrow phone too, where the
        // order sits below the catalog and the link at the top leads to it.
        assert_fits_a_phone(&client).await;
        wait_for_text(&client, "a.to-order", "Your order: 1 item").await;
        click(&client, "a.to-order").await;
        screenshot(&client, "checkout-paid-360px").await;

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
        screenshot(&client, "checkout-canceled").await;
        client.close().await.unwrap();
    });
}
