//! Requests no honest client sends, written on the wire by hand: a body
//! that declares a length past any route's limit is refused with a JSON
//! 413, and the worker still answers afterwards. The worker refuses a
//! declared length before reading a byte and stops a body without one at
//! the limit (`http::read_body`, unit-tested). Two things only a deployed
//! worker shows: `wrangler dev` drains every request body after the worker
//! answers, so locally a length that lies holds the connection until it is
//! drained (here every declared byte is sent), and its proxy answers a
//! chunked upload with its own 503.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use e2e::api;
use e2e::operator::unique;
use serde_json::{Value, json};
use shared::seal::CardDetails;
use shared::wire::QuoteAnswer;

use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[
    (
        "hostile::bodies_past_the_limit_are_refused_before_they_are_read",
        bodies_past_the_limit_are_refused_before_they_are_read,
    ),
    (
        "hostile::generated_requests_break_nothing",
        generated_requests_break_nothing,
    ),
    (
        "hostile::the_document_states_what_the_routes_refuse",
        the_document_states_what_the_routes_refuse,
    ),
];

/// How long the worker may take to refuse; an answer that needs the whole
/// declared body never comes within it.
const ANSWER_WAIT: Duration = Duration::from_secs(10);

/// A declared length past every route's limit.
const DECLARED: usize = 1024 * 1024;

/// The routes anyone may post to without credentials.
const OPEN_ROUTES: [&str; 2] = ["/api/quotes", "/api/store/webhooks/gateway"];

fn connect(world: &World) -> TcpStream {
    let url = world.server.url("/");
    let authority = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let stream = TcpStream::connect(authority).unwrap();
    stream.set_read_timeout(Some(ANSWER_WAIT)).unwrap();
    stream
}

/// What came back before the worker closed the connection (or the wait
/// ran out).
fn answer_of(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    while let Ok(read) = stream.read(&mut buffer) {
        if read == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&received).into_owned()
}

fn bodies_past_the_limit_are_refused_before_they_are_read(world: &World) {
    // Goal: a huge body is refused as too large on every open route.
    // Method: declare (and send) a mebibyte; it must be answered 413 with
    // a JSON error.
    for route in OPEN_ROUTES {
        let mut stream = connect(world);
        let head = format!(
            "POST {route} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
             content-length: {DECLARED}\r\nconnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).unwrap();
        // The worker may answer, and close, before all of it is sent.
        let _ = stream.write_all(&vec![b' '; DECLARED]);
        let answer = answer_of(&mut stream);
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "{route} with a declared mebibyte: {answer}"
        );
        assert!(answer.contains("body_too_large"), "{answer}");
    }
    // And the worker still serves.
    assert_eq!(api::get(&world.server.url("/api/health")).status, 200);
}

/// Requests the generated suite sends in one run.
const GENERATED_REQUESTS: usize = 10_000;

/// Clients sending them at once.
const GENERATED_CLIENTS: usize = 4;

/// The seed when `HOSTILE_SEED` does not give one: fixed, so that a run
/// is the same run on every machine; a failing seed replays with
/// `HOSTILE_SEED=<seed> cargo test -p e2e -- hostile::`.
const DEFAULT_SEED: u64 = 0x5eed_0fba_5eba_1100;

/// A small, seeded generator (xorshift64*): every choice of the suite comes
/// from it, so a seed is a run.
pub struct Dice(pub u64);

impl Dice {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(bound.max(1)).unwrap()).unwrap()
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What a generated request may be built from: real ids and credentials.
struct Context {
    order_id: String,
    client_secret: String,
    payment_id: String,
    merchant_key: String,
    staff_token: String,
    sealed: Value,
    quote_digest: String,
}

impl Context {
    /// The ids and credentials of `order`, with a payment for it sealed
    /// from `card`.
    fn of_order(world: &World, order: &QuoteAnswer, card: &CardDetails) -> Context {
        let sealed = crate::payment::seal(world, card, &crate::payment::Target::of_quote(order));
        Context {
            order_id: order.order_id.clone(),
            client_secret: order.client_secret.clone(),
            payment_id: order.payment_id.clone(),
            merchant_key: crate::store::store_key(),
            staff_token: e2e::dev_var("STORE_STAFF_TOKEN"),
            sealed: serde_json::to_value(&sealed).unwrap(),
            quote_digest: serde_json::to_value(order.quote.body.digest())
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned(),
        }
    }
}

/// One documented operation: its method and path template.
struct Operation {
    method: String,
    template: String,
}

fn operations() -> Vec<Operation> {
    let document: Value = serde_json::from_str(
        &std::fs::read_to_string(e2e::workspace_root().join("gateway-worker/api/openapi.json"))
            .unwrap(),
    )
    .unwrap();
    let mut operations = Vec::new();
    for (template, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                operations.push(Operation {
                    method: method.to_uppercase(),
                    template: template.clone(),
                });
            }
        }
    }
    operations
}

/// A body the route would take, to mutate from.
fn valid_body(template: &str, context: &Context) -> Value {
    let now = crate::payment::now_ms();
    match template {
        "/api/quotes" => crate::store::order(json!([{"sku": "TEA-ROOIBOS-100", "quantity": 1}])),
        "/api/orders/{order_id}/pay" => json!({"sealed": context.sealed}),
        "/api/gateway/v1/payments" => json!({"amount": "5.00", "currency": "USD",
            "quote_digest": context.quote_digest, "expires_at_ms": now + 10 * 60 * 1000,
            "order_reference": "ord_hostile"}),
        "/api/gateway/v1/payments/{payment_id}/confirm" => json!({"sealed": context.sealed,
            "amount": "5.00", "currency": "USD", "quote_digest": context.quote_digest,
            "order_reference": "ord_hostile", "shopper_address": "192.0.2.9"}),
        "/api/gateway/v1/payments/{payment_id}/refunds" | "/api/store/orders/{order_id}/refund" => {
            json!({"amount": "1.00"})
        }
        "/api/store/orders/{order_id}/ship" => json!({"tracking": "TRK-1"}),
        _ => json!({}),
    }
}

/// Values no field expects.
fn odd_value(dice: &mut Dice) -> Value {
    match dice.below(14) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(0),
        3 => json!(-1),
        4 => json!(9_007_199_254_740_993_u64),
        5 => json!(1e308),
        6 => json!(""),
        7 => json!("x".repeat(100_000)),
        8 => json!("\u{0}\u{202e}\u{fffd}"),
        9 => json!([]),
        10 => json!({}),
        11 => json!("-0.00"),
        12 => json!("99999999999999999999.99"),
        _ => json!([1, "two", null]),
    }
}

/// The body, mutated: a field dropped, added, or of the wrong kind, at any
/// depth.
fn mutate(value: &mut Value, dice: &mut Dice) {
    match value {
        Value::Object(fields) if !fields.is_empty() && dice.chance(70) => {
            let keys: Vec<String> = fields.keys().cloned().collect();
            let key = dice.pick(&keys).clone();
            match dice.below(4) {
                0 => {
                    fields.remove(&key);
                }
                1 => {
                    fields.insert("unexpected".to_owned(), odd_value(dice));
                }
                2 => {
                    if let Some(inner) = fields.get_mut(&key) {
                        mutate(inner, dice);
                    }
                }
                _ => {
                    fields.insert(key, odd_value(dice));
                }
            }
        }
        Value::Array(items) if !items.is_empty() && dice.chance(50) => {
            let index = dice.below(items.len());
            mutate(&mut items[index], dice);
        }
        _ => *value = odd_value(dice),
    }
}

/// A path for `template`, its parameters real or not.
fn path_for(template: &str, context: &Context, dice: &mut Dice) -> String {
    let junk = [
        "x",
        "ord_",
        "pay_AAAAAAAAAAAAAAAAAAAAAA",
        "%00",
        "..%2F..",
        "%F0%9F%92%B3",
        "a%20b",
    ];
    let long = "z".repeat(2_000);
    let mut path = template.to_owned();
    for (name, real) in [
        ("{order_id}", &context.order_id),
        ("{payment_id}", &context.payment_id),
    ] {
        let value = if dice.chance(75) {
            real.clone()
        } else if dice.chance(10) {
            long.clone()
        } else {
            (*dice.pick(&junk)).to_owned()
        };
        path = path.replace(name, &value);
    }
    if template == "/api/catalog" && dice.chance(70) {
        let queries = [
            "q=tea",
            "q=%25%5F",
            "limit=0",
            "limit=50&offset=10000",
            "offset=-1",
            "limit=1e3",
            "q=%FF%FE",
        ];
        path = format!("{path}?{}", dice.pick(&queries));
    }
    path
}

/// One generated request, sent; answers its status.
fn send_one(world: &World, context: &Context, operations: &[Operation], dice: &mut Dice) -> u16 {
    let operation = dice.pick(operations);
    let method = if dice.chance(10) {
        (*dice.pick(&["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])).to_owned()
    } else {
        operation.method.clone()
    };
    let path = path_for(&operation.template, context, dice);
    let mut builder = ureq::http::Request::builder()
        .method(method.as_str())
        .uri(world.server.url(&path));
    builder = builder.header(
        "cf-connecting-ip",
        format!(
            "10.{}.{}.{}",
            dice.below(250),
            dice.below(250),
            dice.below(250)
        ),
    );
    // Credentials: right most of the time, else wrong or missing.
    let right = dice.chance(85);
    if operation.template.starts_with("/api/gateway/v1/payments") {
        let key = if right {
            context.merchant_key.as_str()
        } else {
            "sk_test_wrong"
        };
        builder = builder.header("authorization", format!("Bearer {key}"));
    } else if operation.template.starts_with("/api/store/orders") {
        let token = if right {
            context.staff_token.as_str()
        } else {
            "wrong"
        };
        builder = builder.header("authorization", format!("Bearer {token}"));
    } else if operation.template.starts_with("/api/orders/") {
        let secret = if right {
            context.client_secret.as_str()
        } else {
            "cs_wrong"
        };
        builder = builder.header("x-client-secret", secret);
    }
    if dice.chance(70) {
        let key = match dice.below(5) {
            0 => String::new(),
            1 => "k".repeat(300),
            2 => "key with spaces".to_owned(),
            _ => unique("hostile"),
        };
        builder = builder.header("idempotency-key", key);
    }
    let content_type = if dice.chance(85) {
        "application/json"
    } else {
        *dice.pick(&[
            "text/plain",
            "application/x-www-form-urlencoded",
            "",
            "application/json; charset=latin1",
        ])
    };
    if !content_type.is_empty() {
        builder = builder.header("content-type", content_type);
    }
    let body: Vec<u8> = match dice.below(10) {
        // The route's own body, mutated once or twice.
        0..=5 => {
            let mut body = valid_body(&operation.template, context);
            for _ in 0..=dice.below(2) {
                mutate(&mut body, dice);
            }
            serde_json::to_vec(&body).unwrap()
        }
        // The route's own body, intact (the document's happy path).
        6 => serde_json::to_vec(&valid_body(&operation.template, context)).unwrap(),
        // Not JSON: bad UTF-8, random bytes, truncated JSON.
        7 => vec![0xff, 0xfe, b'{', 0xc3, 0x28, b'}'],
        8 => (0..dice.below(512))
            .map(|_| u8::try_from(dice.below(256)).unwrap())
            .collect(),
        _ => {
            let json = serde_json::to_vec(&valid_body(&operation.template, context)).unwrap();
            json[..json.len() / 2].to_vec()
        }
    };
    let sends_body = !matches!(method.as_str(), "GET" | "TRACE" | "OPTIONS" | "DELETE");
    let answer = if sends_body {
        api::read(api::agent().run(builder.body(body).unwrap()))
    } else {
        api::read(api::agent().run(builder.body(()).unwrap()))
    };
    assert!(
        answer.status < 500,
        "{method} {path} answered {}: {}",
        answer.status,
        answer.body
    );
    if answer.status >= 400 {
        // Every refusal is `{code, message}` JSON.
        let _ = answer.error();
    }
    answer.status
}

fn generated_requests_break_nothing(world: &World) {
    // Goal: whatever arrives, the worker answers with the document, never
    // a 5xx, and still serves a correct payment afterwards. Method: a
    // seeded run of ten thousand requests generated from the OpenAPI
    // document (every operation, real or junk ids, right, wrong or missing
    // credentials, the route's body mutated, not JSON, bad UTF-8, wrong
    // content types, odd methods) from four clients at once; every answer
    // is also checked against the document after the run.
    let seed = std::env::var("HOSTILE_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    // First, so a failing run names its seed (HOSTILE_SEED replays it; with
    // four clients at once the server's interleaving may still differ).
    println!("hostile: seed {seed}");
    let started = std::time::Instant::now();
    let order = crate::payment::new_order(world);
    let context = Context::of_order(world, &order, &crate::payment::unknown_card());
    let operations = operations();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..GENERATED_CLIENTS)
            .map(|client| {
                let (context, operations) = (&context, &operations);
                scope.spawn(move || {
                    let mut dice = Dice(
                        seed ^ (u64::try_from(client).unwrap() + 1)
                            .wrapping_mul(0x9e37_79b9_7f4a_7c15),
                    );
                    (0..GENERATED_REQUESTS / GENERATED_CLIENTS)
                        .map(|_| send_one(world, context, operations, &mut dice))
                        .collect::<Vec<u16>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap())
            .collect()
    });
    let mut by_status: std::collections::BTreeMap<u16, usize> = std::collections::BTreeMap::new();
    for status in &statuses {
        *by_status.entry(*status).or_default() += 1;
    }
    println!(
        "hostile: {} generated requests, seed {seed}, {:.1} s; answers by status {by_status:?}",
        statuses.len(),
        started.elapsed().as_secs_f64()
    );
    let followed = follow_the_links(world, seed);
    println!("hostile: {followed} requests chained through the document's links");
    // And a correct payment still goes through, start to finish.
    let order = crate::payment::new_order(world);
    let paid = crate::payment::pay_with(world, &order, &crate::payment::demo_card("visa-pays"));
    assert_eq!(paid.status, 200, "{}", paid.body);
}

fn the_document_states_what_the_routes_refuse(world: &World) {
    // Goal: a client driven by the OpenAPI document sends nothing the
    // server refuses for its form, and the document refuses what the server
    // refuses. Method: the routes' own bodies conform to their request
    // schemas; then bodies the store refuses field by field are refused by
    // the schema too.
    let order = crate::payment::new_order(world);
    let context = Context::of_order(world, &order, &crate::payment::unknown_card());
    for template in [
        "/api/quotes",
        "/api/orders/{order_id}/pay",
        "/api/gateway/v1/payments",
        "/api/gateway/v1/payments/{payment_id}/confirm",
        "/api/gateway/v1/payments/{payment_id}/refunds",
        "/api/store/orders/{order_id}/ship",
        "/api/store/orders/{order_id}/refund",
    ] {
        let errors = e2e::openapi::request_errors(template, &valid_body(template, &context));
        assert!(errors.is_empty(), "{template}: {errors:?}");
    }
    let with_consignee = |field: &str, value: Value| {
        let mut body = valid_body("/api/quotes", &context);
        body["consignee"][field] = value;
        body
    };
    for refused in [
        with_consignee("address_lines", json!([""])),
        with_consignee("address_lines", json!(["   "])),
        with_consignee("name", json!("")),
        with_consignee("name", json!("Ada\u{7}Lovelace")),
        with_consignee("city", json!("  ")),
        with_consignee("postal_code", json!("SW1Y#4JH")),
        with_consignee("phone", json!("12")),
        with_consignee("phone", json!("+44 20 7946 0000 ext")),
        with_consignee("country", json!("gb")),
    ] {
        let answer = crate::store::quote(world, &refused);
        assert_eq!(
            answer.status, 422,
            "the store takes {refused}: {}",
            answer.body
        );
        assert!(
            !e2e::openapi::request_errors("/api/quotes", &refused).is_empty(),
            "the document allows what the store refuses: {}",
            refused["consignee"]
        );
    }
    for amount in ["0", "0.00", "-1.00"] {
        let mut body = valid_body("/api/gateway/v1/payments", &context);
        body["amount"] = json!(amount);
        assert!(
            !e2e::openapi::request_errors("/api/gateway/v1/payments", &body).is_empty(),
            "the document allows a payment of {amount}"
        );
        let mut refund = valid_body("/api/gateway/v1/payments/{payment_id}/refunds", &context);
        refund["amount"] = json!(amount);
        assert!(
            !e2e::openapi::request_errors("/api/gateway/v1/payments/{payment_id}/refunds", &refund)
                .is_empty(),
            "the document allows a refund of {amount}"
        );
    }
}

/// Chains of requests that start at `createQuote` and go on only where the
/// document's links lead from each answer (ids taken from the answer by the
/// link's own expressions).
const LINK_CHAINS: usize = 40;

/// The longest chain.
const LINK_HOPS_MAX: usize = 4;

/// Follows the document's links from fresh quotes; answers how many
/// requests the chains sent. Every answer must be below 500 (and is
/// checked against the document after the run, like every other).
fn follow_the_links(world: &World, seed: u64) -> usize {
    let document: Value = serde_json::from_str(
        &std::fs::read_to_string(e2e::workspace_root().join("gateway-worker/api/openapi.json"))
            .unwrap(),
    )
    .unwrap();
    let mut by_id: std::collections::BTreeMap<String, (String, String)> =
        std::collections::BTreeMap::new();
    for (template, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if let Some(id) = operation["operationId"].as_str() {
                by_id.insert(id.to_owned(), (method.clone(), template.clone()));
            }
        }
    }
    let mut dice = Dice(seed.rotate_left(17));
    let mut sent = 0;
    for _ in 0..LINK_CHAINS {
        api::be_shopper(&unique("chain"));
        let quoted = crate::payment::new_order(world);
        sent += 1;
        let chain = Context::of_order(world, &quoted, &crate::payment::demo_card("visa-pays"));
        let (mut method, mut template) = ("post".to_owned(), "/api/quotes".to_owned());
        let mut status = "201".to_owned();
        let mut body: Value = serde_json::to_value(&quoted).unwrap();
        for _ in 0..LINK_HOPS_MAX {
            let links = &document["paths"][&template][&method]["responses"][&status]["links"];
            let Some(links) = links.as_object().filter(|links| !links.is_empty()) else {
                break;
            };
            let names: Vec<&String> = links.keys().collect();
            let link = &links[*dice.pick(&names)];
            let target = link["operationId"].as_str().unwrap();
            let (next_method, next_template) = by_id[target].clone();
            let mut path = next_template.clone();
            for (name, expression) in link["parameters"].as_object().unwrap() {
                let pointer = expression
                    .as_str()
                    .unwrap()
                    .trim_start_matches("$response.body#");
                let value = body.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| {
                    panic!("{template} {status}: the link {target} reads {pointer}, which the answer lacks: {body}")
                });
                path = path.replace(&format!("{{{name}}}"), value);
            }
            let answer = send_linked(world, &chain, &next_method, &next_template, &path);
            sent += 1;
            assert!(
                answer.status < 500,
                "{next_method} {path} (linked from {template}) answered {}: {}",
                answer.status,
                answer.body
            );
            (method, template) = (next_method, next_template);
            status = answer.status.to_string();
            body = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        }
    }
    sent
}

/// One linked request, with the credentials and the body its route takes.
fn send_linked(
    world: &World,
    chain: &Context,
    method: &str,
    template: &str,
    path: &str,
) -> api::Answer {
    let mut builder = ureq::http::Request::builder()
        .method(method.to_uppercase().as_str())
        .uri(world.server.url(path))
        .header("cf-connecting-ip", api::shopper_address())
        .header("idempotency-key", unique("link"))
        .header("content-type", "application/json");
    if template.starts_with("/api/gateway/v1/") {
        builder = builder.header("authorization", format!("Bearer {}", chain.merchant_key));
    } else if template.starts_with("/api/store/orders/") {
        builder = builder.header("authorization", format!("Bearer {}", chain.staff_token));
    } else if template.starts_with("/api/orders/") {
        builder = builder.header("x-client-secret", chain.client_secret.as_str());
    }
    if method == "get" {
        api::read(api::agent().run(builder.body(()).unwrap()))
    } else {
        let body = serde_json::to_vec(&valid_body(template, chain)).unwrap();
        api::read(api::agent().run(builder.body(body).unwrap()))
    }
}
