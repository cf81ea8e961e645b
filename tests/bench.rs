//! Figures, not pass marks: each journey here runs alone (no other journey
//! shares the machine while it measures), prints what it measured next to
//! `/api/health` in the same run, and asserts no time.

use std::time::Instant;

use e2e::api;
use e2e::operator::unique;
use serde_json::json;
use shared::wire::QuoteAnswer;

use crate::bank::{Bank, MINUTE_MS};
use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[
    (
        "bench::holds_per_second_on_one_account",
        holds_per_second_on_one_account,
    ),
    (
        "bench::holds_per_second_across_accounts",
        holds_per_second_across_accounts,
    ),
    ("bench::route_latency", route_latency),
    (
        "bench::approved_payments_per_second",
        approved_payments_per_second,
    ),
    (
        "bench::page_weight_and_first_render",
        page_weight_and_first_render,
    ),
];

/// Cold loads of the wallet page, each in a fresh browser profile.
const COLD_LOADS: usize = 5;

/// Issue 15's goals for the page: what a first visit transfers, gzipped,
/// and what a return visit does.
const FIRST_VISIT_GOAL_BYTES: usize = 200_000;
const RETURN_VISIT_GOAL_BYTES: u64 = 5_000;

/// How long a page may take to show the catalog.
const RENDER_WITHIN: std::time::Duration = std::time::Duration::from_secs(30);

/// Holds timed, and the clients sending them at once.
const THROUGHPUT_HOLDS: usize = 400;
const THROUGHPUT_CLIENTS: usize = 8;

/// One timed call of a route.
type Call<'a> = Box<dyn Fn() + 'a>;

/// Sequential requests per route in the latency table.
const LATENCY_SAMPLES: usize = 40;

/// Clients paying at once in the throughput run, each with its own bank
/// account and card, and the payments each makes one after another.
const PAYING_CLIENTS: usize = 16;
const PAYMENTS_PER_CLIENT: usize = 12;
const HEALTH_CALLS_PER_CLIENT: usize = 60;

/// The counts of `/api/operator/meter`: D1 statements per database and
/// requests per Durable Object class and service binding.
fn meter(world: &World) -> std::collections::BTreeMap<String, u64> {
    serde_json::from_value(e2e::operator::Operator::new(&world.server).get("/api/operator/meter"))
        .unwrap()
}

/// What `calls` calls cost each, from two meter readings around them.
fn print_costs(
    route: &str,
    calls: usize,
    before: &std::collections::BTreeMap<String, u64>,
    after: &std::collections::BTreeMap<String, u64>,
) {
    let costs: Vec<String> = after
        .iter()
        .filter_map(|(what, count)| {
            let spent = count.saturating_sub(before.get(what).copied().unwrap_or(0));
            (spent > 0).then(|| format!("{what} {:.1}", spent as f64 / calls as f64))
        })
        .collect();
    println!(
        "bench cost: {route:<36} per call: {}  ({calls} calls)",
        costs.join(", ")
    );
}

fn percentile(sorted_ms: &[f64], fraction: f64) -> f64 {
    let index = ((sorted_ms.len() as f64 - 1.0) * fraction).round() as usize;
    sorted_ms[index.min(sorted_ms.len() - 1)]
}

/// p50 and p99 of `samples` sequential calls, in milliseconds.
fn measure(samples: usize, mut call: impl FnMut()) -> (f64, f64) {
    let mut times: Vec<f64> = (0..samples)
        .map(|_| {
            let started = Instant::now();
            call();
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

fn holds_per_second_on_one_account(world: &World) {
    // Method: several clients send holds to one account as fast as the
    // ledger shard that keeps it answers them.
    let bank = Bank::new(world);
    let shopper = bank.open("debit", 1_000_000_00, 0);
    let shop = bank.open("merchant", 0, 0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..THROUGHPUT_CLIENTS {
            let (bank, shopper, shop) = (&bank, &shopper, &shop);
            scope.spawn(move || {
                for _ in 0..THROUGHPUT_HOLDS / THROUGHPUT_CLIENTS {
                    let outcome = bank.hold(&unique("tp"), shopper, shop, 1_00, MINUTE_MS);
                    assert_eq!(outcome["status"], json!("pending"));
                }
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let (health_p50, _) = measure(LATENCY_SAMPLES, || {
        api::get(&world.server.url("/api/health"));
    });
    println!(
        "bench ledger: {THROUGHPUT_HOLDS} holds from {THROUGHPUT_CLIENTS} clients on one account (one shard) in {seconds:.2} s = {:.0} holds/s; /api/health p50 {health_p50:.2} ms",
        THROUGHPUT_HOLDS as f64 / seconds
    );
    assert_eq!(
        bank.balance(&shopper)["debits_pending_minor"],
        json!(THROUGHPUT_HOLDS as i64 * 1_00)
    );
    bank.assert_invariants();
}

fn holds_per_second_across_accounts(world: &World) {
    // Method: as above, but each client holds on its own account, so the
    // holds spread over the bank's shards.
    let bank = Bank::new(world);
    let shop = bank.open("merchant", 0, 0);
    let shoppers: Vec<String> = (0..PAYING_CLIENTS)
        .map(|_| bank.open("debit", 1_000_000_00, 0))
        .collect();
    let shards: std::collections::BTreeSet<String> = shoppers
        .iter()
        .map(|shopper| bank.balance(shopper)["shard"].to_string())
        .collect();
    let holds = PAYING_CLIENTS * (THROUGHPUT_HOLDS / PAYING_CLIENTS);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for shopper in &shoppers {
            let (bank, shop) = (&bank, &shop);
            scope.spawn(move || {
                for _ in 0..THROUGHPUT_HOLDS / PAYING_CLIENTS {
                    let outcome = bank.hold(&unique("tp"), shopper, shop, 1_00, MINUTE_MS);
                    assert_eq!(outcome["status"], json!("pending"));
                }
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "bench ledger: {holds} holds from {PAYING_CLIENTS} clients on their own accounts ({} shards) in {seconds:.2} s = {:.0} holds/s",
        shards.len(),
        holds as f64 / seconds
    );
    bank.assert_invariants();
}

fn route_latency(world: &World) {
    // Method: each route called sequentially; p50 and p99 per route.
    let order = crate::store::order(json!([{"sku": "TEA-ASSAM-250", "quantity": 1}]));
    let quoted: QuoteAnswer = crate::store::quote(world, &order).json();
    let key = crate::store::store_key();
    let payment_body = json!({"amount": "1.00", "currency": "USD", "quote_digest": quoted.quote.body.digest(),
        "expires_at_ms": quoted.quote.body.expires_at_ms, "order_reference": unique("ord")});
    let merchant = |method: &str, path: &str| {
        let request = match method {
            "POST" => api::agent()
                .post(&world.server.url(path))
                .header("authorization", &format!("Bearer {key}"))
                .send_json(&payment_body),
            _ => api::agent()
                .get(&world.server.url(path))
                .header("authorization", &format!("Bearer {key}"))
                .call(),
        };
        api::read(request)
    };
    // One authorization end to end: the shopper's pay route, the store,
    // the merchant API, the payment object, the keyring, the issuer, the
    // bank and the capture. Orders and sealed payments are made beforehand.
    let card = crate::payment::demo_card("visa-pays");
    let gateway_key = crate::payment::gateway_key(world);
    let payments: std::sync::Mutex<Vec<(QuoteAnswer, shared::seal::SealedPayment)>> =
        std::sync::Mutex::new(
            (0..LATENCY_SAMPLES)
                .map(|_| {
                    // Each order from its own shopper, as in a crowd.
                    api::be_shopper(&unique("bench-shopper"));
                    let quoted: QuoteAnswer = crate::store::quote(world, &order).json();
                    let target = crate::payment::Target::of_quote(&quoted);
                    let sealed = crate::payment::seal_at(
                        &gateway_key,
                        &card,
                        &target,
                        crate::payment::now_ms(),
                    );
                    (quoted, sealed)
                })
                .collect(),
        );
    let paid_ids: Vec<String> = payments
        .lock()
        .unwrap()
        .iter()
        .map(|(quoted, _)| quoted.payment_id.clone())
        .collect();
    let order_path = format!("/api/orders/{}", quoted.order_id);
    let payment_path = format!("/api/gateway/v1/payments/{}", quoted.payment_id);
    let routes: Vec<(&str, Call<'_>)> = vec![
        (
            "GET /api/health",
            Box::new(|| drop(api::get(&world.server.url("/api/health")))),
        ),
        (
            "GET /api/catalog",
            Box::new(|| drop(api::get(&world.server.url("/api/catalog")))),
        ),
        (
            "GET /api/catalog?q=tea",
            Box::new(|| drop(api::get(&world.server.url("/api/catalog?q=tea")))),
        ),
        (
            "GET /api/store/keys",
            Box::new(|| drop(api::get(&world.server.url("/api/store/keys")))),
        ),
        (
            "POST /api/quotes",
            Box::new(|| {
                api::be_shopper(&unique("bench-shopper"));
                assert_eq!(crate::store::quote(world, &order).status, 201);
            }),
        ),
        (
            "GET /api/orders/{id}",
            Box::new(|| {
                let answer = api::read(
                    api::agent()
                        .get(&world.server.url(&order_path))
                        .header("x-client-secret", &quoted.client_secret)
                        .call(),
                );
                assert_eq!(answer.status, 200);
            }),
        ),
        (
            "POST /api/gateway/v1/payments",
            Box::new(|| assert_eq!(merchant("POST", "/api/gateway/v1/payments").status, 201)),
        ),
        (
            "GET /api/gateway/v1/payments/{id}",
            Box::new(|| assert_eq!(merchant("GET", &payment_path).status, 200)),
        ),
        (
            "POST /api/orders/{id}/pay (approved)",
            Box::new(|| {
                let next = payments.lock().unwrap().pop();
                let (quoted, sealed) = next.unwrap();
                let answer = crate::payment::pay(world, &quoted, &sealed, &unique("bench"));
                assert_eq!(answer.status, 200, "{}", answer.body);
            }),
        ),
    ];
    let mut health_p50 = f64::NAN;
    for (route, call) in &routes {
        let before = meter(world);
        let (p50, p99) = measure(LATENCY_SAMPLES, call);
        let after = meter(world);
        if route.ends_with("health") {
            health_p50 = p50;
        }
        println!(
            "bench route: {route:<36} p50 {p50:7.2} ms  p99 {p99:7.2} ms  p50/health {:5.1}x  p99/p50 {:4.1}x  ({LATENCY_SAMPLES} sequential calls)",
            p50 / health_p50,
            p99 / p50,
        );
        print_costs(route, LATENCY_SAMPLES, &before, &after);
    }
    print_payment_hops(world, &paid_ids, "store.pay", "store");
    print_payment_hops(world, &paid_ids, "payment.attempt", "gateway");
}

/// Where the approved payments above spent their time, from the `hops_ms`
/// of their `event` log lines (`store.pay` at the store, whose gateway
/// hop is all of the confirmation; `payment.attempt` inside the gateway):
/// p50 per hop.
fn print_payment_hops(world: &World, payment_ids: &[String], event_name: &str, party: &str) {
    let mut hops: std::collections::BTreeMap<String, Vec<f64>> = std::collections::BTreeMap::new();
    for line in world.server.log().lines() {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line.trim()) else {
            continue;
        };
        let ours = event["event"] == event_name
            && payment_ids
                .iter()
                .any(|id| event["payment_id"].as_str() == Some(id.as_str()));
        if !ours {
            continue;
        }
        for (hop, ms) in event["hops_ms"].as_object().into_iter().flatten() {
            hops.entry(hop.clone())
                .or_default()
                .push(ms.as_f64().unwrap_or(0.0));
        }
    }
    for (hop, mut samples) in hops {
        samples.sort_by(f64::total_cmp);
        let p50 = samples[samples.len() / 2];
        println!(
            "bench hop: pay (approved) {party:<7} {hop:<12} p50 {p50:7.2} ms  ({} payments)",
            samples.len()
        );
    }
}

fn approved_payments_per_second(world: &World) {
    // Method: 16 clients, each with its own bank account and printed card
    // (so no budget and no balance is shared), pay orders quoted and sealed
    // beforehand, one after another; the clock runs from the first pay
    // request to the last answer.
    let operator = e2e::operator::Operator::new(&world.server);
    let order = crate::store::order(json!([{"sku": "TEA-ASSAM-250", "quantity": 1}]));
    let gateway_key = crate::payment::gateway_key(world);
    let clients: Vec<Vec<(QuoteAnswer, shared::seal::SealedPayment)>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..PAYING_CLIENTS)
                .map(|client| {
                    let (operator, order, gateway_key) = (&operator, &order, &gateway_key);
                    scope.spawn(move || {
                        let account = operator.open_account(
                            "northbank",
                            "acct.bench",
                            "debit",
                            1_000_000_00,
                            0,
                        );
                        let printed = operator.post(
                            "/api/operator/issuer/cards",
                            &json!({"bank_id": "northbank", "account_id": account}),
                        );
                        let card = crate::issuer::card_details_of(&printed);
                        (0..PAYMENTS_PER_CLIENT)
                            .map(|payment| {
                                api::be_shopper(&unique(&format!("bench-{client}-{payment}")));
                                let quoted: QuoteAnswer = crate::store::quote(world, order).json();
                                let target = crate::payment::Target::of_quote(&quoted);
                                let sealed = crate::payment::seal_at(
                                    gateway_key,
                                    &card,
                                    &target,
                                    crate::payment::now_ms(),
                                );
                                (quoted, sealed)
                            })
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap())
                .collect()
        });
    let started = Instant::now();
    let latencies: Vec<f64> = std::thread::scope(|scope| {
        let handles: Vec<_> = clients
            .iter()
            .map(|payments| {
                scope.spawn(move || {
                    payments
                        .iter()
                        .map(|(quoted, sealed)| {
                            let begun = Instant::now();
                            let answer =
                                crate::payment::pay(world, quoted, sealed, &unique("bench-tp"));
                            assert_eq!(answer.status, 200, "{}", answer.body);
                            begun.elapsed().as_secs_f64() * 1000.0
                        })
                        .collect::<Vec<f64>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap())
            .collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let mut sorted = latencies;
    sorted.sort_by(f64::total_cmp);
    let payments = PAYING_CLIENTS * PAYMENTS_PER_CLIENT;
    // The same clients calling /api/health instead: what wrangler dev on
    // this machine serves at all, the ceiling the figure above sits under.
    let health_calls = PAYING_CLIENTS * HEALTH_CALLS_PER_CLIENT;
    let health_started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..PAYING_CLIENTS {
            scope.spawn(|| {
                for _ in 0..HEALTH_CALLS_PER_CLIENT {
                    assert_eq!(api::get(&world.server.url("/api/health")).status, 200);
                }
            });
        }
    });
    let health_per_second = health_calls as f64 / health_started.elapsed().as_secs_f64();
    let per_second = payments as f64 / seconds;
    println!(
        "bench throughput: {payments} approved payments from {PAYING_CLIENTS} clients on distinct accounts in {seconds:.2} s = {per_second:.0} payments/s; pay p50 {:.2} ms p99 {:.2} ms under load; the same clients on /api/health: {health_per_second:.0} calls/s (payments/health {:.3})",
        percentile(&sorted, 0.5),
        percentile(&sorted, 0.99),
        per_second / health_per_second,
    );
    operator.assert_invariants();
}

/// The gzipped size of a file, at the strongest level (what a CDN serves).
fn gzipped(bytes: &[u8]) -> usize {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap().len()
}

/// Waits for the wallet's `catalog-rendered` performance mark; answers its
/// time since the navigation started, in milliseconds.
async fn catalog_rendered_ms(client: &fantoccini::Client) -> f64 {
    let started = Instant::now();
    loop {
        let mark = client
            .execute(
                "const mark = performance.getEntriesByName('catalog-rendered')[0];\n\
                 return mark ? mark.startTime : null;",
                vec![],
            )
            .await
            .unwrap();
        if let Some(ms) = mark.as_f64() {
            return ms;
        }
        assert!(
            started.elapsed() < RENDER_WITHIN,
            "the catalog never rendered"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// How long a page may take to settle (every resource it fetches on its
/// own loaded) once the catalog shows.
const SETTLE_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

/// The paths of what the page fetched on its own, the API aside, once it
/// settled: the document loaded, and no new resource for a moment.
async fn fetched_paths(client: &fantoccini::Client) -> Vec<String> {
    let read = || async {
        client
            .execute(
                "if (document.readyState !== 'complete') return null;\n\
                 if (![...document.images].every(image => image.complete)) return null;\n\
                 return performance.getEntries()\n\
                   .filter(e => e.entryType === 'navigation' || e.entryType === 'resource')\n\
                   .map(e => new URL(e.name).pathname)\n\
                   .filter(path => !path.startsWith('/api/'));",
                vec![],
            )
            .await
            .unwrap()
    };
    let started = Instant::now();
    let mut last: Option<serde_json::Value> = None;
    loop {
        let now = read().await;
        if !now.is_null() && last.as_ref() == Some(&now) {
            let mut paths: Vec<String> = serde_json::from_value(now).unwrap();
            paths.sort();
            paths.dedup();
            return paths;
        }
        assert!(started.elapsed() < SETTLE_WITHIN, "the page never settled");
        last = Some(now);
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// Bytes a page load moved over the network: the navigation and every
/// resource (0 for one the cache served, headers only for a 304), split
/// into the API's answers and everything else.
async fn transferred(client: &fantoccini::Client) -> (u64, u64) {
    let sizes = client
        .execute(
            "return performance.getEntries()\n\
               .filter(e => e.entryType === 'navigation' || e.entryType === 'resource')\n\
               .map(e => [new URL(e.name).pathname, e.transferSize]);",
            vec![],
        )
        .await
        .unwrap();
    let mut api = 0;
    let mut page = 0;
    for entry in sizes.as_array().unwrap() {
        let path = entry[0].as_str().unwrap_or_default();
        let bytes = entry[1].as_u64().unwrap_or(0);
        if path.starts_with("/api/") {
            api += bytes;
        } else {
            page += bytes;
        }
    }
    (page, api)
}

fn page_weight_and_first_render(world: &World) {
    // Method: cold loads in fresh browser profiles, timed from navigation
    // start to the shell's `catalog-rendered` mark (median); the files the
    // first of them fetched once the page settled (Resource Timing), each
    // gzipped from dist/ at the strongest level as a CDN would; then each
    // profile visits again, and the bytes that moved are summed.
    let dist = e2e::workspace_root().join("dist");
    let (render_ms, fetched, mut again) = e2e::browser::block_on(async {
        let mut render_ms = Vec::new();
        let mut fetched = Vec::new();
        let mut again = Vec::new();
        for load in 0..COLD_LOADS {
            let client = world.driver.session().await;
            client.goto(&world.server.url("/")).await.unwrap();
            render_ms.push(catalog_rendered_ms(&client).await);
            if load == 0 {
                fetched = fetched_paths(&client).await;
            }
            client.goto(&world.server.url("/")).await.unwrap();
            catalog_rendered_ms(&client).await;
            again.push(transferred(&client).await);
            client.close().await.unwrap();
        }
        (render_ms, fetched, again)
    });
    let served = |path: &str| {
        let file = if path == "/" {
            "index.html"
        } else {
            path.trim_start_matches('/')
        };
        let bytes =
            std::fs::read(dist.join(file)).unwrap_or_else(|_| panic!("{path} is not in dist/"));
        (path.to_owned(), bytes.len(), gzipped(&bytes))
    };
    let mut first: Vec<(String, usize, usize)> = fetched.iter().map(|path| served(path)).collect();
    first.sort_by_key(|(_, _, gzipped)| std::cmp::Reverse(*gzipped));
    for (path, raw, gzipped) in &first {
        println!("bench page: first visit: {path:<44} {raw:>9} bytes, {gzipped:>8} gzipped");
    }
    let total: usize = first.iter().map(|(_, _, gzipped)| gzipped).sum();
    println!(
        "bench page: a first visit transfers about {total} bytes (the files above, gzipped here as a CDN would; the goal: at most {FIRST_VISIT_GOAL_BYTES})"
    );
    // The wallet's module waits for the shopper: a first visit that only
    // browses never fetches it.
    assert!(
        !fetched.iter().any(|path| path.contains("wallet_web")),
        "a first visit fetched the wallet's module: {fetched:?}"
    );
    let mut later: Vec<(String, usize, usize)> = std::fs::read_dir(dist.join("assets"))
        .unwrap()
        .map(|entry| format!("/assets/{}", entry.unwrap().file_name().to_string_lossy()))
        .filter(|path| path.contains("wallet_web"))
        .map(|path| served(&path))
        .collect();
    later.sort_by_key(|(_, _, gzipped)| std::cmp::Reverse(*gzipped));
    for (path, raw, gzipped) in &later {
        println!(
            "bench page: when the shopper first opens the wallet or asks for a quote: {path:<44} {raw:>9} bytes, {gzipped:>8} gzipped"
        );
    }
    let mut sorted = render_ms.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "bench page: navigation to a rendered catalog, cold: median {:.0} ms of {COLD_LOADS} ({})",
        percentile(&sorted, 0.5),
        render_ms
            .iter()
            .map(|ms| format!("{ms:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    again.sort_unstable();
    let (page, api) = again[again.len() / 2];
    println!(
        "bench page: a return visit moves {page} bytes of page and assets (median of {COLD_LOADS}; the goal: at most {RETURN_VISIT_GOAL_BYTES}), and {api} bytes of API answers (the catalog, never cached)"
    );
}
