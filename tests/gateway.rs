//! The gateway's merchant API through the worker under `wrangler dev`:
//! API keys (no key, wrong key, rotation with two active keys), payments
//! registered for a quote before any card is seen, and merchant isolation
//! (another merchant's payment answers exactly like a missing one).

use e2e::api::{self, Answer};
use e2e::operator::Operator;
use serde_json::{Value, json};
use shared::wire::Payment;

use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[
    (
        "gateway::the_retention_sweep_forgets_what_no_rule_needs",
        the_retention_sweep_forgets_what_no_rule_needs,
    ),
    (
        "gateway::creation_is_idempotent_by_key",
        creation_is_idempotent_by_key,
    ),
    (
        "gateway::key_set_is_signed_rotated_and_retired",
        key_set_is_signed_rotated_and_retired,
    ),
    (
        "gateway::payments_are_registered_and_isolated_by_merchant",
        payments_are_registered_and_isolated_by_merchant,
    ),
    (
        "gateway::keys_rotate_with_two_active_at_once",
        keys_rotate_with_two_active_at_once,
    ),
    (
        "gateway::bad_payment_requests_get_clear_errors",
        bad_payment_requests_get_clear_errors,
    ),
];

const PAYMENTS: &str = "/api/gateway/v1/payments";

/// A merchant may hold two active keys: journeys that issue the bookshop's
/// keys take turns, so they never see each other's keys.
static BOOKSHOP_KEYS: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn bookshop_keys() -> std::sync::MutexGuard<'static, ()> {
    BOOKSHOP_KEYS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub fn issue_key(operator: &Operator<'_>, merchant: &str) -> (String, String) {
    let issued = operator.post(
        &format!("/api/operator/merchants/{merchant}/keys"),
        &json!({}),
    );
    (
        issued["key"].as_str().unwrap().to_owned(),
        issued["key_prefix"].as_str().unwrap().to_owned(),
    )
}

fn with_key(world: &World, key: &str, method: &str, path: &str, body: Option<&Value>) -> Answer {
    let url = world.server.url(path);
    let authorization = format!("Bearer {key}");
    let agent = api::agent();
    let response = match (method, body) {
        ("POST", Some(body)) => agent
            .post(&url)
            .header("authorization", &authorization)
            .send_json(body),
        _ => agent
            .get(&url)
            .header("authorization", &authorization)
            .call(),
    };
    api::read(response)
}

fn new_payment(amount: &str) -> Value {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    json!({
        "amount": amount,
        "currency": "USD",
        "quote_digest": "paWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaU",
        "expires_at_ms": now_ms + 15 * 60 * 1000,
        "order_reference": e2e::operator::unique("ord"),
    })
}

fn payments_are_registered_and_isolated_by_merchant(world: &World) {
    let _turn = bookshop_keys();
    let operator = Operator::new(&world.server);
    let (teashop, _) = issue_key(&operator, "m_teashop");
    let (bookshop, bookshop_prefix) = issue_key(&operator, "m_bookshop");
    let created = with_key(
        world,
        &teashop,
        "POST",
        PAYMENTS,
        Some(&new_payment("36.22")),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let payment: Payment = created.json();
    assert_eq!(
        payment.merchant_id, "m_teashop",
        "the merchant comes from the key"
    );
    assert_eq!(payment.amount, "36.22");
    assert_eq!(
        serde_json::to_value(payment.status).unwrap(),
        json!("requires_payment_method")
    );
    assert_eq!(
        serde_json::to_value(payment.capture_method).unwrap(),
        json!("automatic")
    );
    assert!(payment.payment_id.starts_with("pay_") && payment.payment_id.len() == 4 + 22);

    let path = format!("{PAYMENTS}/{}", payment.payment_id);
    let read = with_key(world, &teashop, "GET", &path, None);
    assert_eq!(read.status, 200);
    assert_eq!(read.json::<Payment>(), payment);
    // Another merchant's payment answers exactly like a missing one.
    let foreign = with_key(world, &bookshop, "GET", &path, None);
    let missing = with_key(
        world,
        &bookshop,
        "GET",
        &format!("{PAYMENTS}/pay_AAAAAAAAAAAAAAAAAAAAAA"),
        None,
    );
    assert_eq!(
        (foreign.status, foreign.body.clone()),
        (missing.status, missing.body.clone())
    );
    assert_eq!(
        (foreign.status, foreign.error().code.as_str()),
        (404, "payment_not_found")
    );
    // The bookshop captures manually.
    let manual: Payment = with_key(
        world,
        &bookshop,
        "POST",
        PAYMENTS,
        Some(&new_payment("5.00")),
    )
    .json();
    assert_eq!(
        serde_json::to_value(manual.capture_method).unwrap(),
        json!("manual")
    );
    operator.post(
        &format!("/api/operator/merchants/m_bookshop/keys/{bookshop_prefix}/revoke"),
        &json!({}),
    );
}

fn keys_rotate_with_two_active_at_once(world: &World) {
    let _turn = bookshop_keys();
    let operator = Operator::new(&world.server);
    let (first, first_prefix) = issue_key(&operator, "m_bookshop");
    let (second, _) = issue_key(&operator, "m_bookshop");
    let third = operator.post_answer("/api/operator/merchants/m_bookshop/keys", &json!({}));
    assert_eq!(
        (third.status, third.error().code.as_str()),
        (409, "too_many_keys")
    );
    let created: Payment =
        with_key(world, &first, "POST", PAYMENTS, Some(&new_payment("1.00"))).json();
    operator.post(
        &format!("/api/operator/merchants/m_bookshop/keys/{first_prefix}/revoke"),
        &json!({}),
    );
    let revoked = with_key(
        world,
        &first,
        "GET",
        &format!("{PAYMENTS}/{}", created.payment_id),
        None,
    );
    assert_eq!(
        (revoked.status, revoked.error().code.as_str()),
        (401, "unauthorized")
    );
    let rotated = with_key(
        world,
        &second,
        "GET",
        &format!("{PAYMENTS}/{}", created.payment_id),
        None,
    );
    assert_eq!(rotated.status, 200, "the second key keeps working");
    let again = operator.post_answer(
        &format!("/api/operator/merchants/m_bookshop/keys/{first_prefix}/revoke"),
        &json!({}),
    );
    assert_eq!(
        (again.status, again.error().code.as_str()),
        (404, "key_not_found")
    );
    let unknown = operator.post_answer("/api/operator/merchants/m_nobody/keys", &json!({}));
    assert_eq!(
        (unknown.status, unknown.error().code.as_str()),
        (404, "merchant_not_found")
    );
    let second_prefix: String = second.chars().take(12).collect();
    operator.post(
        &format!("/api/operator/merchants/m_bookshop/keys/{second_prefix}/revoke"),
        &json!({}),
    );
}

fn bad_payment_requests_get_clear_errors(world: &World) {
    let _turn = bookshop_keys();
    let operator = Operator::new(&world.server);
    let none = api::post_json(&world.server.url(PAYMENTS), &new_payment("1.00"));
    assert_eq!(
        (none.status, none.error().code.as_str()),
        (401, "unauthorized")
    );
    let forged = format!("sk_test_{}", "A".repeat(43));
    let wrong = with_key(world, &forged, "POST", PAYMENTS, Some(&new_payment("1.00")));
    assert_eq!(
        (wrong.status, wrong.error().code.as_str()),
        (401, "unauthorized")
    );
    let (key, prefix) = issue_key(&operator, "m_bookshop");
    let mut with_merchant = new_payment("1.00");
    with_merchant["merchant_id"] = json!("m_teashop");
    for (body, status, code) in [
        (with_merchant, 422, "invalid_body"),
        (new_payment("0.00"), 422, "invalid_amount"),
        (new_payment("1.001"), 422, "invalid_amount"),
        (new_payment("-1.00"), 422, "invalid_amount"),
        (
            {
                let mut body = new_payment("1.00");
                body["expires_at_ms"] = json!(1);
                body
            },
            422,
            "invalid_expiry",
        ),
        (
            {
                let mut body = new_payment("1.00");
                body["order_reference"] = json!("");
                body
            },
            422,
            "invalid_order_reference",
        ),
        (
            {
                // A reference that could be a card number is never stored.
                let mut body = new_payment("1.00");
                body["order_reference"] = json!("card 4242424242424242");
                body
            },
            422,
            "invalid_order_reference",
        ),
        (
            {
                let mut body = new_payment("1.00");
                body["order_reference"] = json!("x".repeat(20_000));
                body
            },
            413,
            "body_too_large",
        ),
    ] {
        let answer = with_key(world, &key, "POST", PAYMENTS, Some(&body));
        assert_eq!(
            (answer.status, answer.error().code.as_str()),
            (status, code),
            "{body}"
        );
    }
    operator.post(
        &format!("/api/operator/merchants/m_bookshop/keys/{prefix}/revoke"),
        &json!({}),
    );
}

/// The gateway's long-term key-set verification key, from `.dev.vars`.
fn gateway_root() -> shared::sign::PublicKey {
    let vars = std::fs::read_to_string(e2e::workspace_root().join(".dev.vars")).unwrap();
    let hex = vars
        .lines()
        .find_map(|line| line.strip_prefix("GATEWAY_ROOT_SIGNING_SEED="))
        .unwrap()
        .trim();
    let seed: [u8; 32] = (0..32)
        .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).unwrap())
        .collect::<Vec<u8>>()
        .try_into()
        .unwrap();
    shared::sign::SigningKeyPair::from_seed(
        shared::sign::KeyId::new("gateway-root").unwrap(),
        &seed,
    )
    .public_key()
}

/// The gateway's keyring shards (`gateway_keyring::KEYRING_SHARDS`).
const KEYRING_SHARDS: usize = 8;

fn key_set_is_signed_rotated_and_retired(world: &World) {
    // Goal: the wallet can trust the key it seals to. Method: verify the
    // published set with the root key, then rotate and retire by hand and
    // check what is published and which private halves remain.
    let _keys = crate::payment::keyring_write();
    use shared::keyset::{GatewayKeySet, current_key};
    use shared::sign::Signed;
    let now_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    };
    let published = || -> Signed<GatewayKeySet> {
        let answer = api::get(&world.server.url("/api/gateway/v1/keys"));
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.json()
    };
    let root = gateway_root();
    let sets_signed = || {
        Operator::new(&world.server).get("/api/operator/meter")["keyring.key_set_signed"]
            .as_u64()
            .unwrap_or(0)
    };
    let signed_before = sets_signed();
    let first = published();
    let current = current_key(&first, &root, now_ms(), b"").expect("the published set verifies");
    assert_eq!(current.suite, shared::keyset::PAYMENT_SUITE);
    // One current key per keyring shard, each id naming its shard.
    let shards: std::collections::BTreeSet<String> = first
        .body
        .keys
        .iter()
        .map(|key| key.kid.as_str().split('-').nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(shards.len(), KEYRING_SHARDS, "{:?}", first.body.keys);
    // Another root key refuses it: the store or injected script cannot swap keys.
    let other_root = shared::sign::SigningKeyPair::from_seed(
        shared::sign::KeyId::new("gateway-root").unwrap(),
        &[9; 32],
    );
    assert!(current_key(&first, &other_root.public_key(), now_ms(), b"").is_err());
    // Served from memory: twenty more reads sign no new set (but for one
    // whose minute ran out meanwhile), and publish the same keys.
    for _ in 0..20 {
        assert_eq!(
            published().body.keys,
            first.body.keys,
            "the same keys until they are rotated"
        );
    }
    assert!(
        sets_signed() - signed_before <= 2,
        "the key set is served from memory, not signed for every request"
    );

    let operator = Operator::new(&world.server);
    let rotated = operator.post("/api/operator/gateway/keys/rotate", &json!({}));
    assert_eq!(
        rotated.as_array().unwrap().len(),
        2 * KEYRING_SHARDS,
        "each shard's previous key stays for its grace: {rotated}"
    );
    let after_rotation = published();
    let newest = current_key(&after_rotation, &root, now_ms(), b"").unwrap();
    assert_ne!(newest.kid, current.kid, "sealing moves to the new key");
    assert_eq!(after_rotation.body.keys.len(), KEYRING_SHARDS);
    assert!(
        after_rotation.body.keys.iter().all(|key| first
            .body
            .keys
            .iter()
            .all(|old| old.kid != key.kid)),
        "a rotated key seals nothing more (it opens in its grace: payment::a_retired_key_no_longer_opens)"
    );

    let retired = operator.post("/api/operator/gateway/keys/retire", &json!({}));
    assert_eq!(
        retired.as_array().unwrap().len(),
        KEYRING_SHARDS,
        "{retired}"
    );
    let after_retirement = published();
    assert_eq!(after_retirement.body.keys, after_rotation.body.keys);
    let history = operator.get("/api/operator/gateway/keys/history");
    let old = history
        .as_array()
        .unwrap()
        .iter()
        .find(|status| status["key"]["kid"] == json!(current.kid.as_str()))
        .unwrap();
    assert_eq!(
        old["has_private_half"],
        json!(false),
        "the retired private half is deleted"
    );
    let findings = e2e::scan::card_data_in(&history);
    assert!(findings.is_empty(), "{findings:?}");
}

fn create_with_key(
    world: &World,
    merchant_key: &str,
    idempotency_key: &str,
    body: &Value,
) -> Answer {
    api::sent_again_if_shed(|| {
        api::read(
            api::agent()
                .post(&world.server.url(PAYMENTS))
                .header("authorization", &format!("Bearer {merchant_key}"))
                .header("idempotency-key", idempotency_key)
                .send_json(body),
        )
    })
}

fn creation_is_idempotent_by_key(world: &World) {
    // Goal: a retried creation never makes a second payment. Method: the
    // same key and body, once and then ten times at once; the same key with
    // another body; the same key at another merchant.
    let _turn = bookshop_keys();
    let operator = Operator::new(&world.server);
    let (bookshop, prefix) = issue_key(&operator, "m_bookshop");
    let key = e2e::operator::unique("idem");
    let body = new_payment("12.00");
    let first = create_with_key(world, &bookshop, &key, &body);
    assert_eq!(first.status, 201, "{}", first.body);
    let first: Payment = first.json();
    let answers: Vec<Answer> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|_| scope.spawn(|| create_with_key(world, &bookshop, &key, &body)))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    for answer in &answers {
        assert_eq!(answer.status, 201, "{}", answer.body);
        assert_eq!(
            answer.json::<Payment>(),
            first,
            "the stored answer, not a new payment"
        );
    }
    let mut other_body = body.clone();
    other_body["amount"] = json!("13.00");
    let reused = create_with_key(world, &bookshop, &key, &other_body);
    assert_eq!(
        (reused.status, reused.error().code.as_str()),
        (422, "idempotency_key_reused")
    );
    // Keys are the merchant's own: the store's merchant may use the same one.
    let store_key = crate::store::store_key();
    let elsewhere: Payment = create_with_key(world, &store_key, &key, &body).json();
    assert_ne!(elsewhere.payment_id, first.payment_id);
    assert_eq!(elsewhere.merchant_id, "m_teashop");
    // A new, concurrent key: ten at once still make one payment.
    let fresh = e2e::operator::unique("idem");
    let concurrent: Vec<Answer> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|_| scope.spawn(|| create_with_key(world, &bookshop, &fresh, &body)))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    let ids: std::collections::BTreeSet<String> = concurrent
        .iter()
        .map(|answer| {
            assert_eq!(answer.status, 201, "{}", answer.body);
            answer.json::<Payment>().payment_id
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    // A key past its 24 hours counts as new; ten requests taking it at once
    // still make one payment (none deletes another's fresh claim).
    let stale = e2e::operator::unique("idem");
    world.server.d1_query(
        "GATEWAY_DB",
        &format!(
            "INSERT INTO idempotency_keys (merchant_id, route, key, fingerprint, status, answer, created_at_ms)
               VALUES ('m_bookshop', 'POST /api/gateway/v1/payments', '{stale}', 'old', 201, '{{}}', 1000);"
        ),
    );
    let renewed: Vec<Answer> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|_| scope.spawn(|| create_with_key(world, &bookshop, &stale, &body)))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    let ids: std::collections::BTreeSet<String> = renewed
        .iter()
        .map(|answer| {
            assert_eq!(answer.status, 201, "{}", answer.body);
            answer.json::<Payment>().payment_id
        })
        .collect();
    assert_eq!(ids.len(), 1, "an expired key renewed twice: {ids:?}");
    let invalid = create_with_key(world, &bookshop, &"k".repeat(256), &body);
    assert_eq!(
        (invalid.status, invalid.error().code.as_str()),
        (422, "invalid_idempotency_key")
    );
    operator.post(
        &format!("/api/operator/merchants/m_bookshop/keys/{prefix}/revoke"),
        &json!({}),
    );
}

fn the_retention_sweep_forgets_what_no_rule_needs(world: &World) {
    // Goal: the gateway's tables do not grow without end. Method: plant
    // old and fresh rows of each kind, run the retention sweep, and check
    // only the old ones are gone.
    let tag = e2e::operator::unique("retention");
    let fresh = crate::payment::now_ms();
    world.server.d1_query(
        "GATEWAY_DB",
        &format!(
            "INSERT INTO sealed_payments (sealed_hash, payment_id, at_ms)
               VALUES ('{tag}-old', 'pay_x', 1000), ('{tag}-new', 'pay_x', {fresh});
             INSERT INTO idempotency_keys (merchant_id, route, key, fingerprint, created_at_ms)
               VALUES ('m_teashop', 'retention test', '{tag}-old', 'f', 1000),
                      ('m_teashop', 'retention test', '{tag}-new', 'f', {fresh});"
        ),
    );
    // The operator's route runs the same sweep as the cron trigger.
    Operator::new(&world.server).post("/api/operator/gateway/retention", &json!({}));
    for (table, column) in [
        ("sealed_payments", "sealed_hash"),
        ("idempotency_keys", "key"),
    ] {
        let rows = world.server.d1_query(
            "GATEWAY_DB",
            &format!("SELECT {column} AS name FROM {table} WHERE {column} LIKE '{tag}-%' ORDER BY {column}"),
        );
        let names: Vec<&str> = rows.iter().filter_map(|row| row["name"].as_str()).collect();
        assert_eq!(names, [format!("{tag}-new")], "{table}");
    }
}
