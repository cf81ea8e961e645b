//! The vault against real IndexedDB in headless Chromium. Each test opens
//! its own database. Small Argon2 parameters: these tests check the
//! construction; `cargo xtask bench` measures the default cost.

#![allow(clippy::unwrap_used, clippy::panic)]

use shared::card::{CardNumber, Expiry};
use shared::vault::{CardRecord, KdfParams};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::vault::{Vault, VaultFailure, WALLET_CARDS_MAX, unlock_delay_ms};

const SMALL_KDF: KdfParams = KdfParams {
    memory_kib: 64,
    passes: 1,
    lanes: 1,
};
const STRONGER_KDF: KdfParams = KdfParams {
    memory_kib: 128,
    passes: 2,
    lanes: 1,
};
const PASSWORD: &str = "correct horse battery";

fn database_name(test: &str) -> String {
    format!("wallet-test-{test}-{}", js_sys::Math::random())
}

fn card(number: &str, nickname: &str) -> CardRecord {
    CardRecord {
        number: CardNumber::parse(number).unwrap(),
        expiry: Expiry::new(12, 2030).unwrap(),
        holder_name: "Ada Lovelace".into(),
        nickname: nickname.into(),
        passkey_credential: Vec::new(),
    }
}

#[wasm_bindgen_test]
async fn create_add_and_unlock_again() {
    let name = database_name("create");
    let vault = Vault::open(&name).await.unwrap();
    assert!(!vault.status().await.unwrap().exists);
    let mut session = vault.create(PASSWORD, SMALL_KDF).await.unwrap();
    vault
        .add_card(&mut session, card("4242424242424242", "daily"))
        .await
        .unwrap();
    vault
        .add_card(&mut session, card("378282246310005", "travel"))
        .await
        .unwrap();
    drop(session);
    assert_eq!(
        vault.create(PASSWORD, SMALL_KDF).await.unwrap_err(),
        VaultFailure::AlreadyExists
    );
    // A reload: a new handle on the same database.
    let reopened = Vault::open(&name).await.unwrap();
    let session = reopened.unlock(PASSWORD, SMALL_KDF, 1_000).await.unwrap();
    let mut nicknames: Vec<&str> = session
        .cards
        .iter()
        .map(|stored| stored.card.nickname.as_str())
        .collect();
    nicknames.sort_unstable();
    assert_eq!(nicknames, vec!["daily", "travel"]);
    assert_eq!(session.skipped, 0);
}

#[wasm_bindgen_test]
async fn wrong_passwords_are_counted_across_reloads_and_slow_down() {
    let name = database_name("wrong");
    let vault = Vault::open(&name).await.unwrap();
    vault.create(PASSWORD, SMALL_KDF).await.unwrap();
    let mut now = 10_000;
    for expected in 1..=3 {
        let failure = vault
            .unlock("not the password", SMALL_KDF, now)
            .await
            .unwrap_err();
        assert_eq!(failure, VaultFailure::WrongPassword { failures: expected });
        now += 1;
    }
    // The count survives a reload of the module.
    let reopened = Vault::open(&name).await.unwrap();
    assert_eq!(reopened.status().await.unwrap().failures.count, 3);
    // After three, the next attempt waits, even with the right password.
    let waiting = reopened.unlock(PASSWORD, SMALL_KDF, now).await.unwrap_err();
    assert!(matches!(waiting, VaultFailure::TooSoon { retry_after_ms } if retry_after_ms > 0));
    let later = now + unlock_delay_ms(3);
    reopened.unlock(PASSWORD, SMALL_KDF, later).await.unwrap();
    assert_eq!(
        reopened.status().await.unwrap().failures.count,
        0,
        "success resets the count"
    );
}

#[wasm_bindgen_test]
async fn changing_the_password_keeps_the_cards_and_changes_the_key() {
    let name = database_name("change");
    let vault = Vault::open(&name).await.unwrap();
    let mut session = vault.create(PASSWORD, SMALL_KDF).await.unwrap();
    vault
        .add_card(&mut session, card("5555555555554444", "credit"))
        .await
        .unwrap();
    let old_header = vault.header_for_test().await.unwrap();
    // A wrong current password is counted, like a wrong unlock, and past a
    // few the change must wait like an unlock.
    for attempt in 1..=crate::vault::UNLOCK_ATTEMPTS_FREE {
        assert!(matches!(
            vault
                .change_password(&mut session, "not it", "a brand new password", SMALL_KDF, 10)
                .await,
            Err(VaultFailure::WrongPassword { failures }) if failures == attempt
        ));
    }
    assert!(matches!(
        vault
            .change_password(
                &mut session,
                PASSWORD,
                "a brand new password",
                SMALL_KDF,
                11
            )
            .await,
        Err(VaultFailure::TooSoon { .. })
    ));
    vault
        .change_password(
            &mut session,
            PASSWORD,
            "a brand new password",
            SMALL_KDF,
            60_000,
        )
        .await
        .unwrap();
    // A card added after the change is under the new key.
    vault
        .add_card(&mut session, card("4242424242424242", "debit"))
        .await
        .unwrap();
    assert!(matches!(
        vault.unlock(PASSWORD, SMALL_KDF, 60_001).await,
        Err(VaultFailure::WrongPassword { .. })
    ));
    let reopened = vault
        .unlock("a brand new password", SMALL_KDF, 60_002)
        .await
        .unwrap();
    assert_eq!(reopened.cards.len(), 2);
    // The old header with the old password opens nothing any more.
    let old_key = shared::vault::unlock_vault(&old_header, PASSWORD).unwrap();
    let (ids, values) = vault.read_cards_for_test().await.unwrap();
    for (id, value) in ids.iter().zip(&values) {
        let record: shared::vault::SealedRecord =
            serde_json::from_str(&value.as_string().unwrap()).unwrap();
        assert!(
            shared::vault::open_record(&old_key, "card", &id.as_string().unwrap(), &record)
                .is_err(),
            "a record still opens under the old key"
        );
    }
}

#[wasm_bindgen_test]
async fn stronger_parameters_are_applied_on_unlock() {
    let name = database_name("upgrade");
    let vault = Vault::open(&name).await.unwrap();
    vault.create(PASSWORD, SMALL_KDF).await.unwrap();
    vault.unlock(PASSWORD, STRONGER_KDF, 1).await.unwrap();
    assert_eq!(vault.stored_kdf().await.unwrap(), Some(STRONGER_KDF));
    vault.unlock(PASSWORD, STRONGER_KDF, 2).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_damaged_record_is_skipped_and_the_rest_stay_usable() {
    let name = database_name("damaged");
    let vault = Vault::open(&name).await.unwrap();
    let mut session = vault.create(PASSWORD, SMALL_KDF).await.unwrap();
    vault
        .add_card(&mut session, card("4242424242424242", "good"))
        .await
        .unwrap();
    vault
        .put_raw_card(
            "card_damaged",
            r#"{"nonce":"AAAAAAAAAAAAAAAA","ciphertext":"AAAA"}"#,
        )
        .await
        .unwrap();
    vault
        .put_raw_card("card_garbage", "not json")
        .await
        .unwrap();
    let session = vault.unlock(PASSWORD, SMALL_KDF, 1).await.unwrap();
    assert_eq!(session.skipped, 2);
    assert_eq!(session.cards.len(), 1);
    assert_eq!(session.cards[0].card.nickname, "good");
}

#[wasm_bindgen_test]
async fn the_card_limit_holds() {
    let name = database_name("limit");
    let vault = Vault::open(&name).await.unwrap();
    let mut session = vault.create(PASSWORD, SMALL_KDF).await.unwrap();
    for index in 0..WALLET_CARDS_MAX {
        vault
            .add_card(
                &mut session,
                card("4242424242424242", &format!("card {index}")),
            )
            .await
            .unwrap();
    }
    let over = vault
        .add_card(&mut session, card("4242424242424242", "one too many"))
        .await;
    assert_eq!(over.unwrap_err(), VaultFailure::CardLimit);
    assert_eq!(session.cards.len(), WALLET_CARDS_MAX);
    let id = session.cards[0].id.clone();
    vault.remove_card(&mut session, &id).await.unwrap();
    vault
        .add_card(&mut session, card("4242424242424242", "fits again"))
        .await
        .unwrap();
}

#[wasm_bindgen_test]
async fn nothing_at_rest_shows_a_card_number_or_a_cvc() {
    let name = database_name("at-rest");
    let vault = Vault::open(&name).await.unwrap();
    let mut session = vault.create(PASSWORD, SMALL_KDF).await.unwrap();
    vault
        .add_card(&mut session, card("4242424242424242", "daily"))
        .await
        .unwrap();
    let values = vault.raw_values().await.unwrap();
    assert!(!values.is_empty());
    // Field names: nothing is named like a CVC. (Ciphertexts are base64,
    // which may spell anything by chance, so text is not searched for it.)
    fn keys(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(fields) => {
                for (key, inner) in fields {
                    found.push(key.to_lowercase());
                    keys(inner, found);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|item| keys(item, found)),
            _ => {}
        }
    }
    let mut names = Vec::new();
    for value in &values {
        keys(&serde_json::from_str(value).unwrap(), &mut names);
    }
    assert!(
        names
            .iter()
            .all(|name| !name.contains("cvc") && !name.contains("cvv")),
        "{names:?}"
    );
    // No card number: no run of 12 or more digits anywhere.
    let stored = values.join("\n").to_lowercase();
    let longest_digit_run = stored
        .split(|character: char| !character.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest_digit_run < 12, "a card number at rest");
    assert!(!stored.contains("daily"), "a nickname at rest in the clear");
}

#[wasm_bindgen_test]
async fn a_tab_unlocked_before_a_password_change_cannot_write_under_the_old_key() {
    // Goal: no card is ever sealed under a key no header wraps any more.
    // Method: two tabs (two handles on one database) unlock; one changes
    // the password; the other's next card is refused, and after unlocking
    // again with the new password it is written and readable.
    let name = database_name("two-tabs");
    let first_tab = Vault::open(&name).await.unwrap();
    let mut first = first_tab.create(PASSWORD, SMALL_KDF).await.unwrap();
    let second_tab = Vault::open(&name).await.unwrap();
    let mut second = second_tab.unlock(PASSWORD, SMALL_KDF, 1).await.unwrap();
    first_tab
        .change_password(&mut first, PASSWORD, "a brand new password", SMALL_KDF, 2)
        .await
        .unwrap();
    assert_eq!(
        second_tab
            .add_card(&mut second, card("4242424242424242", "debit"))
            .await,
        Err(VaultFailure::ChangedMeanwhile)
    );
    let mut second = second_tab
        .unlock("a brand new password", SMALL_KDF, 3)
        .await
        .unwrap();
    second_tab
        .add_card(&mut second, card("4242424242424242", "debit"))
        .await
        .unwrap();
    let reopened = first_tab
        .unlock("a brand new password", SMALL_KDF, 4)
        .await
        .unwrap();
    assert_eq!(reopened.cards.len(), 1);
    assert_eq!(reopened.skipped, 0);
}

/// Runs two futures at once (two tabs), answering both outputs.
async fn both<A: std::future::Future, B: std::future::Future>(
    first: A,
    second: B,
) -> (A::Output, B::Output) {
    let (mut first, mut second) = (Box::pin(first), Box::pin(second));
    let (mut one, mut two) = (None, None);
    std::future::poll_fn(|context| {
        if one.is_none()
            && let std::task::Poll::Ready(output) = first.as_mut().poll(context)
        {
            one = Some(output);
        }
        if two.is_none()
            && let std::task::Poll::Ready(output) = second.as_mut().poll(context)
        {
            two = Some(output);
        }
        if one.is_some() && two.is_some() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    (one.unwrap(), two.unwrap())
}

#[wasm_bindgen_test]
async fn wrong_passwords_from_two_tabs_at_once_are_both_counted() {
    // Goal: the back-off cannot be run around in parallel. Method: two
    // tabs try a wrong password at the same moment; both are counted.
    let name = database_name("parallel");
    let first_tab = Vault::open(&name).await.unwrap();
    first_tab.create(PASSWORD, SMALL_KDF).await.unwrap();
    let second_tab = Vault::open(&name).await.unwrap();
    let (first, second) = both(
        first_tab.unlock("not the password", SMALL_KDF, 10),
        second_tab.unlock("not it either", SMALL_KDF, 10),
    )
    .await;
    assert!(matches!(first, Err(VaultFailure::WrongPassword { .. })));
    assert!(matches!(second, Err(VaultFailure::WrongPassword { .. })));
    assert_eq!(first_tab.status().await.unwrap().failures.count, 2);
}

/// An order as the wallet keeps it: the test quote under `order_id`, paid
/// (with a receipt) or not.
fn order(order_id: &str, paid: bool, placed_at_ms: u64) -> crate::vault::OrderRecord {
    let mut quote = crate::checkout_tests::quote();
    quote.order_id = order_id.to_owned();
    quote.client_secret = format!("cs_secret_of_{order_id}");
    let receipt = paid.then(|| crate::checkout_tests::receipt_for(&quote, "10.72"));
    crate::vault::OrderRecord {
        quote,
        receipt,
        order: None,
        placed_at_ms,
    }
}

async fn keep(
    vault: &Vault,
    session: &mut crate::vault::Session,
    record: crate::vault::OrderRecord,
) {
    if let Some(write) = session.seal_order(record).unwrap() {
        vault.put_order(&write).await.unwrap();
        session.order_written(write);
    }
}

#[wasm_bindgen_test]
async fn orders_are_kept_sealed_and_survive_lock_reload_and_a_password_change() {
    // Goal: the wallet remembers orders (client secret, quote, receipt)
    // across reloads and password changes, and nothing of them is readable
    // at rest. Method: keep two orders, read the stored values behind the
    // vault's back, reload, change the password, reload again.
    let name = database_name("orders");
    let vault = Vault::open(&name).await.unwrap();
    let mut session = vault.create(PASSWORD, SMALL_KDF).await.unwrap();
    keep(&vault, &mut session, order("ord_first", false, 1_000)).await;
    keep(&vault, &mut session, order("ord_second", true, 2_000)).await;
    // Paying the first one later keeps its first placing time.
    keep(&vault, &mut session, order("ord_first", true, 3_000)).await;
    assert_eq!(session.orders.len(), 2);
    assert_eq!(session.orders[0].order_id(), "ord_second");
    assert_eq!(session.orders[1].placed_at_ms, 1_000);
    assert!(session.orders[1].receipt.is_some());
    // Kept exactly so already: nothing to write.
    assert!(
        session
            .seal_order(order("ord_second", true, 9))
            .unwrap()
            .is_none()
    );

    let stored = vault.raw_values().await.unwrap().join("\n");
    for secret in [
        "cs_secret_of_ord_first",
        "Ada Lovelace",
        "St James",
        "product A",
        "rcpt_1",
        "10.72",
    ] {
        assert!(!stored.contains(secret), "{secret} readable at rest");
    }
    drop(session);

    let reopened = Vault::open(&name).await.unwrap();
    let mut session = reopened.unlock(PASSWORD, SMALL_KDF, 10_000).await.unwrap();
    let ids: Vec<&str> = session
        .orders
        .iter()
        .map(|order| order.order_id())
        .collect();
    assert_eq!(ids, vec!["ord_second", "ord_first"]);
    assert_eq!(session.orders[1], order("ord_first", true, 1_000));
    assert_eq!(session.skipped, 0);

    reopened
        .change_password(
            &mut session,
            PASSWORD,
            "a new long password",
            SMALL_KDF,
            20_000,
        )
        .await
        .unwrap();
    drop(session);
    let again = Vault::open(&name).await.unwrap();
    let session = again
        .unlock("a new long password", SMALL_KDF, 30_000)
        .await
        .unwrap();
    assert_eq!(session.orders.len(), 2);
    assert_eq!(session.orders[0], order("ord_second", true, 2_000));
    assert_eq!(session.skipped, 0);
}

#[wasm_bindgen_test]
async fn an_order_record_moved_to_another_id_does_not_open() {
    // Goal: a record copied over another order's key is refused, not shown
    // as that order. Method: store one order's sealed value under another
    // id, behind the vault's back, and unlock.
    let name = database_name("order-moved");
    let vault = Vault::open(&name).await.unwrap();
    let mut session = vault.create(PASSWORD, SMALL_KDF).await.unwrap();
    keep(&vault, &mut session, order("ord_a", true, 1_000)).await;
    drop(session);
    let sealed = vault.raw_values_of("orders").await.unwrap().remove(0);
    vault.put_raw("orders", "ord_b", &sealed).await.unwrap();
    let session = vault.unlock(PASSWORD, SMALL_KDF, 5_000).await.unwrap();
    assert_eq!(session.orders.len(), 1);
    assert_eq!(session.orders[0].order_id(), "ord_a");
    assert_eq!(session.skipped, 1);
}

#[wasm_bindgen_test]
async fn the_wallet_forgets_the_oldest_order_past_its_limit() {
    // Goal: the order memory is bounded. Method: keep one more order than
    // the limit; the one placed first is gone, in memory and at rest.
    use crate::vault::orders::WALLET_ORDERS_MAX;
    let name = database_name("order-limit");
    let vault = Vault::open(&name).await.unwrap();
    let mut session = vault.create(PASSWORD, SMALL_KDF).await.unwrap();
    for index in 0..=WALLET_ORDERS_MAX {
        let placed = 1_000 + index as u64;
        keep(
            &vault,
            &mut session,
            order(&format!("ord_{index:03}"), false, placed),
        )
        .await;
    }
    assert_eq!(session.orders.len(), WALLET_ORDERS_MAX);
    assert!(
        session
            .orders
            .iter()
            .all(|order| order.order_id() != "ord_000")
    );
    drop(session);
    let session = vault.unlock(PASSWORD, SMALL_KDF, 5_000).await.unwrap();
    assert_eq!(session.orders.len(), WALLET_ORDERS_MAX);
    assert!(
        session
            .orders
            .iter()
            .all(|order| order.order_id() != "ord_000")
    );
}

#[wasm_bindgen_test]
async fn an_older_view_of_an_order_never_replaces_a_newer_one() {
    // Goal: a page that still shows the order as it was (paid) cannot roll
    // back what the wallet learned since (shipped). Method: keep a view with
    // two events, then one with one event; the two-event view stays.
    use shared::money::Currency;
    use shared::wire::{OrderEventView, OrderStatus, OrderView};
    let view = |status: OrderStatus, kinds: &[&str]| OrderView {
        order_id: "ord_view".to_owned(),
        status,
        payment_id: "pay_1".to_owned(),
        total: "10.72".to_owned(),
        currency: Currency::Usd,
        created_at_ms: 1,
        events: kinds
            .iter()
            .map(|kind| OrderEventView {
                kind: (*kind).to_owned(),
                amount: None,
                at_ms: 1,
                tracking: None,
            })
            .collect(),
    };
    let name = database_name("order-views");
    let vault = Vault::open(&name).await.unwrap();
    let mut session = vault.create(PASSWORD, SMALL_KDF).await.unwrap();
    let mut newer = order("ord_view", true, 1_000);
    newer.order = Some(view(OrderStatus::Shipped, &["captured", "shipped"]));
    keep(&vault, &mut session, newer).await;
    let mut older = order("ord_view", true, 1_000);
    older.order = Some(view(OrderStatus::Paid, &["captured"]));
    assert!(session.seal_order(older).unwrap().is_none());
    let kept = &session.orders[0];
    assert_eq!(kept.order.as_ref().unwrap().status, OrderStatus::Shipped);
    // A record without a receipt keeps the one already kept.
    let bare = order("ord_view", false, 1_000);
    assert!(session.seal_order(bare).unwrap().is_none());
}

#[wasm_bindgen_test]
async fn a_passkey_unlocks_the_same_vault_and_survives_a_password_change() {
    // Goal: the PRF wrapping opens the same vault key; a password change
    // keeps the passkey working; removing it ends that; nothing stored
    // lets a copied database unlock without the authenticator's output.
    // Method: real IndexedDB, with the authenticator's PRF output stood in
    // for by fixed bytes.
    let name = database_name("passkey");
    let vault = Vault::open(&name).await.unwrap();
    let mut session = vault.create(PASSWORD, SMALL_KDF).await.unwrap();
    vault
        .add_card(&mut session, card("4242424242424242", "daily"))
        .await
        .unwrap();
    let prf = [0x5a_u8; 32];
    vault
        .add_passkey(&mut session, b"credential-1", [0x11; 32], &prf)
        .await
        .unwrap();
    assert_eq!(session.passkey_ids(), vec![b"credential-1".to_vec()]);
    drop(session);

    let reopened = Vault::open(&name).await.unwrap();
    assert_eq!(reopened.status().await.unwrap().passkeys, 1);
    let requests = reopened.passkey_requests().await.unwrap();
    assert_eq!(requests[0].credential_id, b"credential-1".to_vec());
    assert_eq!(requests[0].prf_salt, [0x11; 32]);
    let session = reopened
        .unlock_with_passkey(b"credential-1", &prf)
        .await
        .unwrap();
    assert_eq!(session.cards[0].card.nickname, "daily");
    drop(session);
    assert_eq!(
        reopened
            .unlock_with_passkey(b"credential-1", &[0x5b; 32])
            .await
            .unwrap_err(),
        VaultFailure::PasskeyUnknown
    );
    assert_eq!(
        reopened
            .unlock_with_passkey(b"credential-2", &prf)
            .await
            .unwrap_err(),
        VaultFailure::PasskeyUnknown
    );
    // At rest: neither the PRF output nor anything derived that opens.
    let stored = reopened.raw_values().await.unwrap().join("\n");
    assert!(!stored.contains(&shared::encoding::to_base64url(&prf)));

    let mut session = reopened.unlock(PASSWORD, SMALL_KDF, 1_000).await.unwrap();
    reopened
        .change_password(
            &mut session,
            PASSWORD,
            "a new long password",
            SMALL_KDF,
            2_000,
        )
        .await
        .unwrap();
    drop(session);
    let mut session = reopened
        .unlock_with_passkey(b"credential-1", &prf)
        .await
        .unwrap();
    assert_eq!(session.cards.len(), 1);
    assert!(matches!(
        reopened
            .remove_passkeys(&mut session, "not the password", SMALL_KDF, 2_500)
            .await,
        Err(VaultFailure::WrongPassword { .. })
    ));
    // A second passkey, then "a device is lost": removing takes them all
    // and replaces the vault key, so no key read before opens anything
    // written after.
    reopened
        .add_passkey(&mut session, b"credential-2", [0x22; 32], &[0x6b; 32])
        .await
        .unwrap();
    let before = reopened.header_for_test().await.unwrap();
    reopened
        .remove_passkeys(&mut session, "a new long password", SMALL_KDF, 3_000)
        .await
        .unwrap();
    assert!(
        reopened
            .header_for_test()
            .await
            .unwrap()
            .passkeys
            .is_empty()
    );
    let old_key = shared::vault::unlock_with_passkey(&before.passkeys[1], &[0x6b; 32]).unwrap();
    let (ids, values) = reopened.read_cards_for_test().await.unwrap();
    let id = ids[0].as_string().unwrap();
    let record: shared::vault::SealedRecord =
        serde_json::from_str(&values[0].as_string().unwrap()).unwrap();
    assert!(
        shared::vault::open_record(&old_key, "card", &id, &record).is_err(),
        "a key from before the removal opens a record written after it"
    );
    assert_eq!(session.cards.len(), 1);
    drop(session);
    assert_eq!(reopened.status().await.unwrap().passkeys, 0);
    assert_eq!(
        reopened
            .unlock_with_passkey(b"credential-1", &prf)
            .await
            .unwrap_err(),
        VaultFailure::PasskeyUnknown
    );
    // The password still opens it.
    reopened
        .unlock("a new long password", SMALL_KDF, 4_000)
        .await
        .unwrap();
}

#[wasm_bindgen_test]
async fn a_passkey_planted_in_the_header_is_never_carried_over() {
    // Goal: someone who can write the stored header but holds neither the
    // vault key nor the shopper's authenticator cannot make the shopper's
    // passkey open a key of theirs, nor get a password change to carry a
    // wrap of theirs. Method: behind the vault's back, add a wrap of the
    // attacker's own and put a forged wrap for the shopper's credential in
    // place of the genuine one.
    let name = database_name("passkey-planted");
    let vault = Vault::open(&name).await.unwrap();
    let mut session = vault.create(PASSWORD, SMALL_KDF).await.unwrap();
    let prf = [1_u8; 32];
    vault
        .add_passkey(&mut session, b"credential-1", [0x11; 32], &prf)
        .await
        .unwrap();
    vault
        .add_card(&mut session, card("4242424242424242", "daily"))
        .await
        .unwrap();
    drop(session);
    let genuine = vault.header_for_test().await.unwrap();
    let mut rng = shared::rand_core::UnwrapErr(getrandom::SysRng);
    let (_, attacker_key) =
        shared::vault::create_vault("the attackers password", SMALL_KDF, &mut rng).unwrap();
    let planted =
        shared::vault::enroll_passkey(&attacker_key, b"planted", [2; 32], &[2; 32], &mut rng)
            .unwrap();
    let forged = shared::vault::enroll_passkey(
        &attacker_key,
        b"credential-1",
        [0x11; 32],
        &[9; 32],
        &mut rng,
    )
    .unwrap();
    let mut tampered = genuine.clone();
    tampered.passkeys = vec![forged];
    vault
        .put_raw("meta", "header", &serde_json::to_string(&tampered).unwrap())
        .await
        .unwrap();
    // The shopper's passkey does not open the forged wrap.
    assert_eq!(
        vault
            .unlock_with_passkey(b"credential-1", &prf)
            .await
            .unwrap_err(),
        VaultFailure::PasskeyUnknown
    );
    let mut with_planted = genuine.clone();
    with_planted.passkeys.push(planted);
    vault
        .put_raw(
            "meta",
            "header",
            &serde_json::to_string(&with_planted).unwrap(),
        )
        .await
        .unwrap();
    let mut session = vault.unlock(PASSWORD, SMALL_KDF, 1_000).await.unwrap();
    assert_eq!(session.passkey_ids(), vec![b"credential-1".to_vec()]);
    vault
        .change_password(
            &mut session,
            PASSWORD,
            "a new long password",
            SMALL_KDF,
            2_000,
        )
        .await
        .unwrap();
    let after = vault.header_for_test().await.unwrap();
    let carried: Vec<&[u8]> = after
        .passkeys
        .iter()
        .map(|wrap| wrap.credential_id.0.as_slice())
        .collect();
    assert_eq!(carried, vec![b"credential-1".as_slice()]);
    drop(session);
    let session = vault
        .unlock_with_passkey(b"credential-1", &prf)
        .await
        .unwrap();
    assert_eq!(session.cards.len(), 1);
}

#[wasm_bindgen_test]
async fn stronger_parameters_keep_the_passkeys() {
    // Goal: the unlock's re-wrap under stronger Argon2 parameters (same
    // vault key) keeps every passkey working.
    let name = database_name("passkey-upgrade");
    let vault = Vault::open(&name).await.unwrap();
    let mut session = vault.create(PASSWORD, SMALL_KDF).await.unwrap();
    vault
        .add_passkey(&mut session, b"credential-1", [0x11; 32], &[5; 32])
        .await
        .unwrap();
    drop(session);
    vault.unlock(PASSWORD, STRONGER_KDF, 1_000).await.unwrap();
    assert_eq!(vault.stored_kdf().await.unwrap(), Some(STRONGER_KDF));
    vault
        .unlock_with_passkey(b"credential-1", &[5; 32])
        .await
        .unwrap();
}
