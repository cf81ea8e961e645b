//! Native tests of the wallet's pure parts: reducers, validation, formatting.

use shared::money::Currency;
use shared::wire::Product;

use crate::components::search_form::search_text;
use crate::format;
use crate::state::{CatalogAction, CatalogState, CatalogView};

fn product(sku: &str, unit_price: &str, stock: u32) -> Product {
    Product {
        sku: sku.to_owned(),
        name: format!("product {sku}"),
        description: String::new(),
        unit_price: unit_price.to_owned(),
        currency: Currency::Usd,
        stock,
    }
}

#[test]
fn a_late_answer_never_overwrites_a_newer_search() {
    // Goal: typing fast cannot show stale results. Method: answer request 1
    // after request 2 was made and check that it is ignored.
    let state = CatalogState::default()
        .apply(CatalogAction::Requested { request: 1 })
        .apply(CatalogAction::Requested { request: 2 });
    let stale = state.apply(CatalogAction::Loaded {
        request: 1,
        products: vec![product("OLD", "1.00", 1)],
    });
    assert_eq!(stale.view, CatalogView::Loading);
    let fresh = stale.apply(CatalogAction::Loaded {
        request: 2,
        products: vec![product("NEW", "1.00", 1)],
    });
    assert_eq!(
        fresh.view,
        CatalogView::Ready(vec![product("NEW", "1.00", 1)])
    );
    let late_failure = fresh.apply(CatalogAction::Failed {
        request: 1,
        message: "late".to_owned(),
    });
    assert_eq!(late_failure, fresh);
}

#[test]
fn failures_of_the_newest_request_are_shown() {
    let state = CatalogState::default()
        .apply(CatalogAction::Requested { request: 1 })
        .apply(CatalogAction::Failed {
            request: 1,
            message: "the store could not be reached".to_owned(),
        });
    assert_eq!(
        state.view,
        CatalogView::Failed("the store could not be reached".to_owned())
    );
}

#[test]
fn search_text_is_trimmed_and_empty_means_everything() {
    assert_eq!(search_text("  tea "), Some("tea".to_owned()));
    assert_eq!(search_text("   "), None);
    assert_eq!(search_text(""), None);
}

#[test]
fn prices_and_stock_are_shown_exactly() {
    assert_eq!(format::unit_price(&product("A", "14.50", 1)), "USD 14.50");
    assert_eq!(
        format::unit_price(&product("A", "1e3", 1)),
        "price unavailable"
    );
    assert_eq!(format::stock(0), "out of stock");
    assert_eq!(format::stock(12), "12 in stock");
}
