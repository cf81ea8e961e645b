//! The end-to-end test binary: starts the real worker under `wrangler dev`
//! and one ChromeDriver, runs every journey against them, stops both, and
//! ends with libtest's summary. A module per journey.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod aftersale;
mod bank;
mod bench;
mod card_testing;
mod catalog;
mod fault;
mod gateway;
mod hostile;
mod issuer;
mod passkey;
mod payment;
mod soak;
mod staff;
mod store;
mod wallet;

use std::sync::Arc;

use e2e::browser::Driver;
use e2e::server::Server;
use libtest_mimic::{Arguments, Trial};

/// What every journey may use.
pub struct World {
    pub server: Server,
    pub driver: Driver,
}

/// A journey: a named test over the shared world. Journeys named
/// `bench::...` print figures instead of asserting times, and run alone so
/// that no other journey shares the machine while they measure; journeys
/// named `fault::...` run alone because they disturb shared parties.
pub type Journey = (&'static str, fn(&World));

/// Journeys that must have the worker to themselves: benchmarks, faults,
/// the generated hostile suite (ten thousand requests would starve the
/// others on two cores), and those that write to a D1 database through
/// wrangler (which locks the database file against the worker's own
/// writes).
fn runs_alone(name: &str) -> bool {
    const WRITES_D1_THROUGH_WRANGLER: [&str; 2] = [
        "gateway::the_retention_sweep_forgets_what_no_rule_needs",
        "gateway::creation_is_idempotent_by_key",
    ];
    name.starts_with("bench::")
        || name.starts_with("fault::")
        || name == "hostile::generated_requests_break_nothing"
        || WRITES_D1_THROUGH_WRANGLER.contains(&name)
}

/// Ordinary journeys hold this for reading; those that run alone, for
/// writing.
static MEASURING: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn main() {
    let arguments = Arguments::from_args();
    e2e::process::sweep_stale_groups();
    let run_dir = e2e::run_dir();
    let world = Arc::new(World {
        server: Server::start(&run_dir),
        driver: Driver::start(&run_dir),
    });
    let trials = [
        catalog::JOURNEYS,
        bank::JOURNEYS,
        issuer::JOURNEYS,
        passkey::JOURNEYS,
        gateway::JOURNEYS,
        store::JOURNEYS,
        hostile::JOURNEYS,
        payment::JOURNEYS,
        card_testing::JOURNEYS,
        aftersale::JOURNEYS,
        staff::JOURNEYS,
        wallet::JOURNEYS,
        fault::JOURNEYS,
        soak::JOURNEYS,
        bench::JOURNEYS,
    ]
    .concat()
    .into_iter()
    .map(|(name, journey)| {
        let world = Arc::clone(&world);
        Trial::test(name, move || {
            e2e::api::be_shopper(name);
            if runs_alone(name) {
                let _alone = MEASURING
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                journey(&world);
            } else {
                let _shared = MEASURING
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                journey(&world);
            }
            Ok(())
        })
    })
    .collect();
    let conclusion = libtest_mimic::run(&arguments, trials);
    // Whatever the journeys did, the worker's log holds no card data, and
    // every answer of a documented route matched the OpenAPI document.
    let log_findings = e2e::scan::card_data_in_text(&world.server.log());
    // Nor does anything any party stored: the gateway's and the store's D1
    // tables, every payment object, the issuer's tables and both ledgers.
    let operator = e2e::operator::Operator::new(&world.server);
    let mut storage_findings = Vec::new();
    let dumps = [
        "/api/operator/gateway/dump",
        "/api/operator/store/dump",
        "/api/operator/issuer/dump",
        "/api/operator/banks/northbank/dump",
        "/api/operator/banks/southbank/dump",
    ];
    for party in dumps {
        let dump = operator.get_answer(party);
        if dump.status != 200 {
            storage_findings.push(format!("{party}: dump answered {}", dump.status));
            continue;
        }
        let rows: serde_json::Value = dump.json();
        if let Some(objects) = rows["payment_objects"].as_array() {
            println!(
                "storage scan: gateway tables and {} payment objects",
                objects.len()
            );
        }
        for finding in e2e::scan::card_data_in(&rows) {
            storage_findings.push(format!("{party}: {finding}"));
        }
    }
    let full_run = arguments.filter.is_none() && arguments.skip.is_empty();
    let openapi_failures = e2e::openapi::check_recorded(full_run);
    // Stop wrangler and ChromeDriver before exiting: exit() runs no Drop.
    drop(world);
    if !log_findings.is_empty() {
        eprintln!("e2e: the worker's log holds card data: {log_findings:?}");
        std::process::exit(1);
    }
    if !storage_findings.is_empty() {
        eprintln!("e2e: stored data holds card data: {storage_findings:?}");
        std::process::exit(1);
    }
    if !openapi_failures.is_empty() {
        eprintln!(
            "e2e: answers that break the OpenAPI document:\n{}",
            openapi_failures.join("\n")
        );
        std::process::exit(1);
    }
    conclusion.exit();
}
