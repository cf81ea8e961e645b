//! The store's back office: its order list over the API (filters, pages,
//! refusals), and its page at `/staff`, where the staff type their token
//! once, filter the orders, ship one with a tracking reference, mark it
//! delivered, refund part of one, and cancel one never paid, at 360 and
//! 1280 px with axe-core checking every screen.

use e2e::api::{self, Answer};
use e2e::browser::{block_on, click, fill, step, wait_for_count, wait_for_text};
use fantoccini::{Client, Locator};
use serde_json::json;
use shared::wire::{OrderStatus, QuoteAnswer, StaffOrderPage};

use crate::aftersale::staff;
use crate::payment::{demo_card, new_order, pay_with};
use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[
    (
        "staff::the_order_list_filters_pages_and_refuses",
        the_order_list_filters_pages_and_refuses,
    ),
    (
        "staff::the_back_office_page_ships_delivers_refunds_and_cancels",
        the_back_office_page_ships_delivers_refunds_and_cancels,
    ),
];

/// Pages read at most while looking for an order in a busy list.
const PAGES_SEARCHED_MAX: usize = 20;

fn staff_token() -> String {
    e2e::dev_var("STORE_STAFF_TOKEN")
}

fn list(world: &World, query: &str, token: Option<&str>) -> Answer {
    let mut request = api::agent().get(&world.server.url(&format!("/api/store/orders{query}")));
    if let Some(token) = token {
        request = request.header("authorization", &format!("Bearer {token}"));
    }
    api::read(request.call())
}

fn paid_order(world: &World) -> QuoteAnswer {
    let order = new_order(world);
    let paid = pay_with(world, &order, &demo_card("visa-pays"));
    assert_eq!(paid.status, 200, "{}", paid.body);
    order
}

/// Reads `filter`'s list page by page (newest first) until `order_id`
/// shows; answers its position overall, or `None`.
fn position_in(world: &World, filter: &str, order_id: &str) -> Option<usize> {
    positions_in(world, filter, &[order_id])[0]
}

/// The positions of `order_ids` in one reading of `filter`'s list, page by
/// page (newest first), until all have shown. One reading, because other
/// journeys add orders meanwhile: each page's cursor only moves to older
/// keys (creation time, then id), so within one reading the orders show in
/// their keys' order, whatever lands between pages; two readings could
/// each see a different number of orders ahead.
fn positions_in(world: &World, filter: &str, order_ids: &[&str]) -> Vec<Option<usize>> {
    let token = staff_token();
    let mut positions = vec![None; order_ids.len()];
    let mut before: Option<String> = None;
    let mut seen = 0;
    let mut last_created = u64::MAX;
    for _ in 0..PAGES_SEARCHED_MAX {
        let cursor = before
            .as_ref()
            .map(|cursor| format!("&before={cursor}"))
            .unwrap_or_default();
        let answer = list(
            world,
            &format!("?status={filter}&limit=50{cursor}"),
            Some(&token),
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
        let page: StaffOrderPage = answer.json();
        for order in &page.orders {
            assert!(order.created_at_ms <= last_created, "newest first");
            last_created = order.created_at_ms;
            if let Some(at) = order_ids.iter().position(|id| *id == order.order_id) {
                positions[at] = Some(seen);
            }
            seen += 1;
        }
        if positions.iter().all(Option::is_some) {
            break;
        }
        match page.next_before {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    positions
}

fn the_order_list_filters_pages_and_refuses(world: &World) {
    // Goal: the back office's list shows each filter's orders, newest
    // first, in pages that neither skip nor repeat, and refuses anyone
    // without the token and any malformed query. Method: an unpaid order
    // and two paid ones, one refunded in part; read the lists.
    let _keys = crate::payment::keyring_read();
    assert_eq!(list(world, "", None).status, 401);
    assert_eq!(list(world, "", Some("not-the-token")).status, 401);
    let token = staff_token();
    for (query, code) in [
        ("?status=lost", "invalid_filter"),
        ("?limit=0", "invalid_page"),
        ("?limit=51", "invalid_page"),
        ("?before=yesterday", "invalid_cursor"),
        ("?before=12~ord%20x", "invalid_cursor"),
    ] {
        let answer = list(world, query, Some(&token));
        assert_eq!(answer.status, 422, "{query}: {}", answer.body);
        assert_eq!(answer.error().code, code, "{query}");
    }

    let unpaid = new_order(world);
    let first = paid_order(world);
    let second = paid_order(world);
    let refund = staff(
        world,
        &first.order_id,
        "refund",
        Some(&e2e::operator::unique("staff-list")),
        &json!({ "amount": "1.00" }),
    );
    assert_eq!(refund.status, 200, "{}", refund.body);

    assert!(position_in(world, "awaiting_payment", &unpaid.order_id).is_some());
    assert!(position_in(world, "paid", &unpaid.order_id).is_none());
    let positions = positions_in(world, "paid", &[&first.order_id, &second.order_id]);
    let (first_at, second_at) = (positions[0].unwrap(), positions[1].unwrap());
    assert!(second_at < first_at, "the newer order comes first");
    assert!(position_in(world, "refunded", &first.order_id).is_some());
    assert!(position_in(world, "refunded", &second.order_id).is_none());

    // Pages of two, followed until the refunded order shows: no order
    // shows twice, and it shows with its money, lines and consignee.
    let mut seen = std::collections::HashSet::new();
    let mut before = String::new();
    let mut listed = None;
    for _ in 0..PAGES_SEARCHED_MAX * 25 {
        let page: StaffOrderPage = list(
            world,
            &format!("?status=refunded&limit=2{before}"),
            Some(&token),
        )
        .json();
        assert!(page.orders.len() <= 2);
        for order in page.orders {
            assert!(
                seen.insert(order.order_id.clone()),
                "{} twice",
                order.order_id
            );
            if order.order_id == first.order_id {
                listed = Some(order);
            }
        }
        match page.next_before {
            Some(cursor) if listed.is_none() => before = format!("&before={cursor}"),
            _ => break,
        }
    }
    let listed = listed.expect("the refunded order is listed");
    assert_eq!(listed.status, OrderStatus::Paid);
    assert_eq!(listed.refunded, "1.00");
    assert_eq!(listed.captured, listed.total);
    assert_eq!(listed.lines[0].sku, "TEA-ROOIBOS-100");
    assert!(!listed.consignee.name.is_empty());
    assert_eq!(listed.tracking, None);
}

/// Shows `filter`'s list and waits until that list has loaded: the
/// select is enabled again and the list names the filter it shows.
async fn show(client: &Client, filter: &str) {
    wait_for_count(client, "#staff-filter:not([disabled])", 1).await;
    click(client, &format!("#staff-filter option[value='{filter}']")).await;
    wait_for_count(
        client,
        &format!("ul.staff-orders[data-filter='{filter}'][aria-busy='false']"),
        1,
    )
    .await;
}

/// Waits for the order's card on the page, asking for more pages while
/// the list is longer than one page.
async fn find_order(client: &Client, order_id: &str) -> String {
    let card = format!("li.staff-order[data-order-id='{order_id}']");
    for _ in 0..PAGES_SEARCHED_MAX {
        if let Ok(element) = client.find(Locator::Css(&card)).await {
            return element.text().await.unwrap();
        }
        let more = client
            .find_all(Locator::Css("button.staff-more"))
            .await
            .unwrap();
        let Some(more) = more.first() else {
            break;
        };
        more.click().await.unwrap();
        wait_for_count(client, "ul.staff-orders[aria-busy='false']", 1).await;
    }
    panic!("order {order_id} is not on the page");
}

fn the_back_office_page_ships_delivers_refunds_and_cancels(world: &World) {
    // Goal: the back office is a page the staff can run the store from
    // (issue 14). Method: sign in (a wrong token is refused), filter, ship
    // a paid order with a tracking reference, mark it delivered, refund
    // part of it, cancel an unpaid order; each change as the store records
    // it; the token is never stored by the page.
    let _keys = crate::payment::keyring_read();
    let to_ship = paid_order(world);
    let unpaid = new_order(world);
    block_on(async {
        let client = world.driver.session().await;
        client.goto(&world.server.url("/staff")).await.unwrap();
        wait_for_count(&client, "#staff-token", 1).await;
        step(&client, "staff-sign-in", ".staff-panel").await;
        fill(&client, "#staff-token", "not-the-token").await;
        click(&client, "form.staff-sign-in button[type=submit]").await;
        wait_for_text(&client, ".staff-panel [role=alert]", "refused").await;
        step(&client, "staff-token-refused", ".staff-panel").await;
        fill(&client, "#staff-token", &staff_token()).await;
        click(&client, "form.staff-sign-in button[type=submit]").await;
        wait_for_count(&client, "#staff-filter", 1).await;
        step(&client, "staff-orders", ".staff-panel").await;

        // Ship the paid order.
        show(&client, "paid").await;
        let card = find_order(&client, &to_ship.order_id).await;
        assert!(card.contains("Rooibos") && card.contains("paid"), "{card}");
        step(&client, "staff-paid", ".staff-panel").await;
        let id = &to_ship.order_id;
        fill(&client, &format!("#tracking-{id}"), "TRK-STAFF-1").await;
        click(
            &client,
            &format!("li.staff-order[data-order-id='{id}'] form.staff-ship button"),
        )
        .await;
        wait_for_text(
            &client,
            ".staff-panel .status",
            "shipped, tracking TRK-STAFF-1",
        )
        .await;

        // Mark it delivered, then refund part of it.
        show(&client, "shipped").await;
        let card = find_order(&client, id).await;
        assert!(card.contains("Tracking TRK-STAFF-1"), "{card}");
        step(&client, "staff-shipped", ".staff-panel").await;
        click(
            &client,
            &format!("li.staff-order[data-order-id='{id}'] button.staff-deliver"),
        )
        .await;
        wait_for_text(&client, ".staff-panel .status", "marked delivered").await;
        show(&client, "delivered").await;
        find_order(&client, id).await;
        step(&client, "staff-delivered", ".staff-panel").await;
        fill(&client, &format!("#refund-{id}"), "2.00").await;
        click(
            &client,
            &format!("li.staff-order[data-order-id='{id}'] form.staff-refund button"),
        )
        .await;
        wait_for_text(&client, ".staff-panel .status", "Refund of 2.00").await;
        show(&client, "refunded").await;
        let card = find_order(&client, id).await;
        assert!(card.contains("refunded USD 2.00"), "{card}");
        step(&client, "staff-refunded", ".staff-panel").await;

        // Cancel the unpaid one.
        show(&client, "awaiting_payment").await;
        find_order(&client, &unpaid.order_id).await;
        click(
            &client,
            &format!(
                "li.staff-order[data-order-id='{}'] button.staff-cancel",
                unpaid.order_id
            ),
        )
        .await;
        wait_for_text(&client, ".staff-panel .status", "canceled").await;
        show(&client, "canceled").await;
        find_order(&client, &unpaid.order_id).await;
        step(&client, "staff-canceled", ".staff-panel").await;

        // The token lives in the page's memory only: nothing stored, and a
        // reload asks for it again.
        let stored = client
            .execute(
                "return [localStorage.length, sessionStorage.length, document.cookie];",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(stored, json!([0, 0, ""]));
        client.refresh().await.unwrap();
        wait_for_count(&client, "#staff-token", 1).await;
        client.close().await.unwrap();
    });

    // What the store recorded agrees with what the page showed.
    let shipped = crate::payment::shopper_get(world, &to_ship, "");
    let view: shared::wire::OrderView = shipped.json();
    assert_eq!(view.status, OrderStatus::Delivered);
    let kinds: Vec<&str> = view
        .events
        .iter()
        .map(|event| event.kind.as_str())
        .collect();
    assert!(
        kinds.contains(&"shipped") && kinds.contains(&"refunded"),
        "{kinds:?}"
    );
    let tracking = view.events.iter().find_map(|event| event.tracking.clone());
    assert_eq!(tracking.as_deref(), Some("TRK-STAFF-1"));
    let canceled = crate::payment::shopper_get(world, &unpaid, "");
    assert_eq!(
        canceled.json::<shared::wire::OrderView>().status,
        OrderStatus::Canceled
    );
}
