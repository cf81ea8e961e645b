//! The wallet's vault in a real browser page: create a wallet, add two
//! cards, reload, unlock, and see them again; a wrong password is refused.
//! Screenshots land in `target/e2e/screenshots/`.

use std::time::Instant;

use e2e::browser::{block_on, screenshot, wait_for_count, wait_for_text};
use fantoccini::{Client, Locator};

use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[(
    "wallet::create_add_cards_reload_and_unlock",
    create_add_cards_reload_and_unlock,
)];

const PASSWORD: &str = "tea for two, and two for tea";

async fn fill(client: &Client, css: &str, text: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
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
        client.goto(&world.server.url("/")).await.unwrap();
        wait_for_count(&client, "#new-password", 1).await;
        fill(&client, "#new-password", PASSWORD).await;
        fill(&client, "#confirm-password", PASSWORD).await;
        screenshot(&client, "wallet-create").await;
        submit(&client, "form.vault-form").await;
        wait_for_text(&client, ".wallet .status", "Wallet created and unlocked.").await;

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
        add_card(
            &client,
            "5555555555554444",
            "06/29",
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
        client.set_window_size(360, 800).await.unwrap();
        let width = client
            .execute("return document.documentElement.scrollWidth;", vec![])
            .await
            .unwrap();
        assert!(
            width.as_u64().is_some_and(|width| width <= 360),
            "page is {width} px wide at 360 px"
        );
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
