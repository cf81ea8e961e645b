//! The store through the worker under `wrangler dev`: quotes priced from the
//! store's own catalog, signed with the published store key and registered
//! at the gateway through the merchant API; orders followed only with their
//! client secret; every order field checked with its own error.

use e2e::api::{self, Answer};
use serde_json::{Value, json};
use shared::wire::{OrderView, Payment, QuoteAnswer, StoreKeys};

use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[
    (
        "store::a_quote_is_priced_signed_and_registered_at_the_gateway",
        a_quote_is_priced_signed_and_registered_at_the_gateway,
    ),
    (
        "store::orders_are_followed_only_with_their_client_secret",
        orders_are_followed_only_with_their_client_secret,
    ),
    (
        "store::every_order_field_is_checked",
        every_order_field_is_checked,
    ),
];

pub fn consignee() -> Value {
    json!({"name": "Ada Lovelace", "address_lines": ["12 St James's Square"], "city": "London",
           "postal_code": "SW1Y 4JH", "country": "GB", "phone": "+44 20 7946 0000"})
}

pub fn order(lines: Value) -> Value {
    json!({"lines": lines, "delivery": "standard", "consignee": consignee()})
}

pub fn quote(world: &World, body: &Value) -> Answer {
    api::post_json(&world.server.url("/api/quotes"), body)
}

pub fn store_key() -> String {
    e2e::dev_var("STORE_GATEWAY_API_KEY")
}

fn a_quote_is_priced_signed_and_registered_at_the_gateway(world: &World) {
    // Goal: the seed's step 3. Method: order two lines, then check the
    // prices against the catalog, the signature against the published key,
    // and the payment the gateway holds against the quote.
    let answer = quote(
        world,
        &order(
            json!([{"sku": "TEA-SENCHA-100", "quantity": 2}, {"sku": "MUG-STONEWARE", "quantity": 1}]),
        ),
    );
    assert_eq!(answer.status, 201, "{}", answer.body);
    let quoted: QuoteAnswer = answer.json();
    let keys: StoreKeys = api::get(&world.server.url("/api/store/keys")).json();
    let quote = quoted
        .quote
        .verify_with_any(&keys.keys)
        .expect("the store's signature verifies");
    let lines: Vec<(&str, u32, &str, &str)> = quote
        .lines
        .iter()
        .map(|line| {
            (
                line.sku.as_str(),
                line.quantity,
                line.unit_price.as_str(),
                line.line_total.as_str(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("TEA-SENCHA-100", 2, "14.50", "29.00"),
            ("MUG-STONEWARE", 1, "18.00", "18.00")
        ]
    );
    // 47.00 + 4.90 delivery = 51.90; tax 8.25 % = 4.28175, rounded half-even to 4.28.
    assert_eq!(
        (
            quote.subtotal.as_str(),
            quote.delivery.cost.as_str(),
            quote.tax.as_str(),
            quote.total.as_str()
        ),
        ("47.00", "4.90", "4.28", "56.18")
    );
    assert_eq!(
        (
            quote.delivery.option.as_str(),
            quote.delivery.estimated_days
        ),
        ("standard", 5)
    );
    assert_eq!(quote.merchant_id, "m_teashop");
    assert!(quoted.client_secret.starts_with("cs_") && quoted.order_id.starts_with("ord_"));

    let key = store_key();
    let payment = api::read(
        api::agent()
            .get(
                &world
                    .server
                    .url(&format!("/api/gateway/v1/payments/{}", quoted.payment_id)),
            )
            .header("authorization", &format!("Bearer {key}"))
            .call(),
    );
    assert_eq!(payment.status, 200, "{}", payment.body);
    let payment: Payment = payment.json();
    assert_eq!(payment.amount, "56.18");
    assert_eq!(payment.quote_digest, quote.digest());
    assert_eq!(payment.expires_at_ms, quote.expires_at_ms);
    assert_eq!(payment.order_reference, quoted.order_id);

    // The store's own records hold the money event.
    let dump = e2e::operator::Operator::new(&world.server).get("/api/operator/store/dump");
    let events: Vec<Value> = dump["order_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["order_id"] == quoted.order_id.as_str())
        .map(|row| json!({"kind": row["kind"], "amount_minor": row["amount_minor"]}))
        .collect();
    assert_eq!(
        events,
        vec![json!({"kind": "intent_created", "amount_minor": 56_18})]
    );
}

fn orders_are_followed_only_with_their_client_secret(world: &World) {
    let quoted: QuoteAnswer = quote(
        world,
        &order(json!([{"sku": "TEA-ROOIBOS-100", "quantity": 1}])),
    )
    .json();
    let url = world
        .server
        .url(&format!("/api/orders/{}", quoted.order_id));
    let with = |secret: Option<&str>| {
        let request = api::agent().get(&url);
        let request = match secret {
            Some(secret) => request.header("x-client-secret", secret),
            None => request,
        };
        api::read(request.call())
    };
    let view: OrderView = with(Some(&quoted.client_secret)).json();
    assert_eq!(
        serde_json::to_value(view.status).unwrap(),
        json!("awaiting_payment")
    );
    assert_eq!(
        (view.total.as_str(), view.payment_id.as_str()),
        (quoted.quote.body.total.as_str(), quoted.payment_id.as_str())
    );
    let missing_order = api::read(
        api::agent()
            .get(&world.server.url("/api/orders/ord_AAAAAAAAAAAAAAAAAAAAAA"))
            .header("x-client-secret", &quoted.client_secret)
            .call(),
    );
    for answer in [
        with(None),
        with(Some("cs_wrong")),
        with(Some(&format!("{}x", quoted.client_secret))),
        missing_order,
    ] {
        assert_eq!(
            (answer.status, answer.error().code.as_str()),
            (404, "order_not_found")
        );
    }
}

fn every_order_field_is_checked(world: &World) {
    let line = |sku: &str, quantity: u32| json!([{"sku": sku, "quantity": quantity}]);
    let with_consignee = |field: &str, value: Value| {
        let mut body = order(line("TEA-ASSAM-250", 1));
        body["consignee"][field] = value;
        body
    };
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            order(json!([{"sku": "TEA-ASSAM-250", "quantity": 1, "unit_price": "0.01"}])),
            422,
            "invalid_body",
            "a field this route does not take",
        ),
        (order(json!([])), 422, "invalid_field", "lines"),
        (
            order(line("TEA-ASSAM-250", 0)),
            422,
            "invalid_field",
            "lines[0].quantity",
        ),
        (
            order(line("TEA-ASSAM-250", 100)),
            422,
            "invalid_field",
            "lines[0].quantity",
        ),
        (
            order(
                json!([{"sku": "TEA-ASSAM-250", "quantity": 1}, {"sku": "TEA-ASSAM-250", "quantity": 2}]),
            ),
            422,
            "invalid_field",
            "lines[1].sku",
        ),
        (
            order(line("NO-SUCH-SKU", 1)),
            422,
            "unknown_sku",
            "lines[0].sku",
        ),
        (
            order(line("GRINDER-BURR", 1)),
            422,
            "out_of_stock",
            "lines[0]",
        ),
        (
            order(line("KETTLE-GOOSE", 13)),
            422,
            "out_of_stock",
            "lines[0]",
        ),
        (
            {
                let mut body = order(line("TEA-ASSAM-250", 1));
                body["delivery"] = json!("teleport");
                body
            },
            422,
            "invalid_field",
            "delivery",
        ),
        (
            with_consignee("name", json!("  ")),
            422,
            "invalid_field",
            "consignee.name",
        ),
        (
            with_consignee("address_lines", json!(["a", "b", "c", "d"])),
            422,
            "invalid_field",
            "consignee.address_lines",
        ),
        (
            with_consignee("city", json!("x".repeat(81))),
            422,
            "invalid_field",
            "consignee.city",
        ),
        (
            with_consignee("postal_code", json!("SW1Y;4JH")),
            422,
            "invalid_field",
            "consignee.postal_code",
        ),
        (
            with_consignee("country", json!("gb")),
            422,
            "invalid_field",
            "consignee.country",
        ),
        (
            with_consignee("phone", json!("12")),
            422,
            "invalid_field",
            "consignee.phone",
        ),
        (
            with_consignee("phone", json!("+44 20 7946 0000 ext")),
            422,
            "invalid_field",
            "consignee.phone",
        ),
        (
            with_consignee("name", json!("Ada\u{0}Lovelace")),
            422,
            "invalid_field",
            "consignee.name",
        ),
        (
            {
                let mut body = order(line("TEA-ASSAM-250", 1));
                body["merchant_id"] = json!("m_bookshop");
                body
            },
            422,
            "invalid_body",
            "a field this route does not take",
        ),
        (
            json!({"lines": "x".repeat(20_000)}),
            413,
            "body_too_large",
            "too large",
        ),
    ];
    for (body, status, code, mentions) in cases {
        let answer = quote(world, &body);
        let error = answer.error();
        assert_eq!(
            (answer.status, error.code.as_str()),
            (status, code),
            "{}",
            answer.body
        );
        assert!(
            error.message.contains(mentions),
            "{} should mention {mentions}",
            error.message
        );
        // What the sender wrote is never repeated back.
        for sent in ["NO-SUCH-SKU", "merchant_id", "unit_price", "teleport"] {
            assert!(
                !error.message.contains(sent),
                "{} echoes {sent}",
                error.message
            );
        }
    }
    let malformed = api::read(
        api::agent()
            .post(&world.server.url("/api/quotes"))
            .header("content-type", "application/json")
            .send("{\"lines\": [1, 2"),
    );
    assert_eq!(
        (malformed.status, malformed.error().code.as_str()),
        (422, "invalid_body")
    );
}
