//! Native tests of the checkout's pure parts: the cart, the checkout's
//! stages, and the wallet's checks of the store's and the gateway's
//! signatures.

use shared::card::Brand;
use shared::encoding::Bytes;
use shared::money::Currency;
use shared::quote::{Consignee, Delivery, Quote, QuoteLine};
use shared::receipt::{AuthorizationRecord, Receipt};
use shared::sign::{KeyId, SigningKeyPair};
use shared::wire::{LINE_QUANTITY_MAX, OrderStatus, OrderView, PayDeclined, QuoteAnswer};

use crate::checkout_state::{Cart, CartAction, CheckoutAction, CheckoutState, PaidOrder, Stage};
use crate::tests::product;
use crate::trust::{ReceiptCheck, check_receipt, parse_gateway_root, quote_is_the_stores};

#[test]
fn the_cart_counts_within_stock_and_limits() {
    // Goal: the cart never asks for what the store cannot quote. Method:
    // add past the stock, set past the line limit, remove, add an item out
    // of stock.
    let cart = Cart::default()
        .apply(CartAction::Add(product("A", "2.50", 2)))
        .apply(CartAction::Add(product("A", "2.50", 2)))
        .apply(CartAction::Add(product("A", "2.50", 2)))
        .apply(CartAction::Add(product("B", "1.25", 500)));
    assert_eq!(cart.lines.len(), 2);
    assert_eq!(cart.lines[0].quantity, 2, "capped at the stock");
    let cart = cart.apply(CartAction::SetQuantity {
        sku: "B".to_owned(),
        quantity: 1000,
    });
    assert_eq!(cart.lines[1].quantity, LINE_QUANTITY_MAX);
    assert_eq!(
        cart.subtotal().map(|money| money.amount_string()),
        Some("128.75".to_owned()),
        "2 x 2.50 + 99 x 1.25, exactly"
    );
    assert_eq!(cart.item_count(), 101);
    let lines = cart.order_lines();
    assert_eq!((lines[1].sku.as_str(), lines[1].quantity), ("B", 99));
    let cart = cart
        .apply(CartAction::Remove("A".to_owned()))
        .apply(CartAction::Add(product("C", "9.00", 0)));
    assert_eq!(cart.lines.len(), 1, "nothing out of stock is added");
    assert_eq!(cart.apply(CartAction::Clear).subtotal(), None);
}

fn store_key() -> SigningKeyPair {
    SigningKeyPair::from_seed(KeyId::new("store-1").unwrap(), &[1; 32])
}

fn gateway_key() -> SigningKeyPair {
    SigningKeyPair::from_seed(KeyId::new("gateway-root").unwrap(), &[2; 32])
}

pub(crate) fn quote() -> QuoteAnswer {
    let quote = Quote {
        quote_id: "q_1".to_owned(),
        merchant_id: "m_teashop".to_owned(),
        lines: vec![QuoteLine {
            sku: "A".to_owned(),
            name: "product A".to_owned(),
            quantity: 2,
            unit_price: "2.50".to_owned(),
            line_total: "5.00".to_owned(),
        }],
        delivery: Delivery {
            option: "standard".to_owned(),
            cost: "4.90".to_owned(),
            estimated_days: 5,
        },
        consignee: Consignee {
            name: "Ada Lovelace".to_owned(),
            address_lines: vec!["12 St James's Square".to_owned()],
            city: "London".to_owned(),
            postal_code: "SW1Y 4JH".to_owned(),
            country: "GB".to_owned(),
            phone: "+44 20 7946 0000".to_owned(),
        },
        currency: Currency::Usd,
        subtotal: "5.00".to_owned(),
        tax: "0.82".to_owned(),
        total: "10.72".to_owned(),
        expires_at_ms: 1_000,
        salt: Bytes([3; 32]),
    };
    QuoteAnswer {
        quote: store_key().sign(quote),
        order_id: "ord_1".to_owned(),
        payment_id: "pay_1".to_owned(),
        client_secret: "cs_1".to_owned(),
    }
}

pub(crate) fn receipt_for(answer: &QuoteAnswer, total: &str) -> shared::sign::Signed<Receipt> {
    let quote = &answer.quote.body;
    let authorization = gateway_key().sign(AuthorizationRecord {
        payment_id: answer.payment_id.clone(),
        merchant_id: quote.merchant_id.clone(),
        quote_digest: quote.digest(),
        amount: total.to_owned(),
        currency: Currency::Usd,
        brand: Brand::Visa,
        last_four: "4242".to_owned(),
        authorization_code: "ABC234".to_owned(),
        attempt_id: "att_1".to_owned(),
        authorized_at_ms: 900,
        customer_verification: shared::receipt::CustomerVerification::CardCode,
    });
    store_key().sign(Receipt {
        receipt_id: "rcpt_1".to_owned(),
        order_id: answer.order_id.clone(),
        merchant_id: quote.merchant_id.clone(),
        quote_digest: quote.digest(),
        total: total.to_owned(),
        currency: Currency::Usd,
        issued_at_ms: 950,
        authorization,
    })
}

#[test]
fn quotes_and_receipts_are_checked_with_both_parties_keys() {
    // Goal: the wallet believes only what the store and the gateway signed,
    // for this order. Method: a good receipt, then one signed by the wrong
    // gateway key, one for another total, one for another order.
    let answer = quote();
    let store_keys = [store_key().public_key()];
    let root = gateway_key().public_key();
    assert!(quote_is_the_stores(&answer.quote, &store_keys));
    let mut forged = answer.quote.clone();
    forged.body.total = "0.01".to_owned();
    assert!(!quote_is_the_stores(&forged, &store_keys));

    let quote = &answer.quote.body;
    let good = receipt_for(&answer, "10.72");
    assert_eq!(
        check_receipt(
            &good,
            "ord_1",
            quote,
            &store_keys,
            std::slice::from_ref(&root)
        ),
        ReceiptCheck::Verified
    );
    let other_root = SigningKeyPair::from_seed(KeyId::new("gateway-root").unwrap(), &[9; 32]);
    assert_eq!(
        check_receipt(
            &good,
            "ord_1",
            quote,
            &store_keys,
            &[other_root.public_key()]
        ),
        ReceiptCheck::Failed
    );
    let cheaper = receipt_for(&answer, "1.00");
    assert_eq!(
        check_receipt(
            &cheaper,
            "ord_1",
            quote,
            &store_keys,
            std::slice::from_ref(&root)
        ),
        ReceiptCheck::Failed
    );
    assert_eq!(
        check_receipt(
            &good,
            "ord_2",
            quote,
            &store_keys,
            std::slice::from_ref(&root)
        ),
        ReceiptCheck::Failed
    );
}

#[test]
fn the_compiled_in_gateway_key_is_64_hex_digits() {
    let hex = "00".repeat(31) + "ff";
    let key = parse_gateway_root(&hex).unwrap();
    assert_eq!(key.key.0[31], 0xff);
    assert_eq!(key.kid.as_str(), "gateway-root");
    assert!(parse_gateway_root(&hex[2..]).is_none());
    assert!(parse_gateway_root(&("zz".to_owned() + &hex[2..])).is_none());
}

#[test]
fn a_decline_keeps_the_order_for_another_card() {
    // Goal: the seed's step 5 in the page. Method: quote, pay, decline,
    // pay again, paid; a second press while paying changes nothing.
    let quoted = CheckoutState::default()
        .apply(CheckoutAction::QuoteRequested)
        .apply(CheckoutAction::Quoted(Box::new(quote())));
    assert!(matches!(quoted.stage, Stage::Quoted(_)));
    let paying = quoted.apply(CheckoutAction::PayStarted);
    assert!(matches!(paying.stage, Stage::Paying(_)));
    let declined = paying.apply(CheckoutAction::Declined(PayDeclined {
        code: shared::decline::ShopperDeclineCode::InsufficientFunds,
        message: "the card was declined for insufficient funds".to_owned(),
        another_card_may_help: true,
    }));
    assert!(matches!(declined.stage, Stage::Quoted(_)), "same order");
    assert_eq!(
        declined.alert.as_deref(),
        Some(
            "The card was declined for insufficient funds. Choose another card, or try again later."
        )
    );
    let failed = declined
        .apply(CheckoutAction::PayStarted)
        .apply(CheckoutAction::PayFailed {
            message: "The store could not be reached.".to_owned(),
            expired: false,
        });
    assert!(matches!(failed.stage, Stage::Quoted(_)));
    let expired = failed.apply(CheckoutAction::PayFailed {
        message: "The quote has expired.".to_owned(),
        expired: true,
    });
    assert_eq!(expired.stage, Stage::Shopping, "a new quote is needed");

    let answer = quote();
    let order = OrderView {
        order_id: "ord_1".to_owned(),
        status: OrderStatus::Paid,
        payment_id: "pay_1".to_owned(),
        total: "10.72".to_owned(),
        currency: Currency::Usd,
        created_at_ms: 1,
        events: Vec::new(),
    };
    let done = failed.apply(CheckoutAction::Done(Box::new(PaidOrder {
        receipt: Some(receipt_for(&answer, "10.72")),
        check: Some(ReceiptCheck::Verified),
        quote: answer,
        order,
    })));
    assert_eq!(
        done.message.as_deref(),
        Some("Paid. The receipt's signatures check out.")
    );
    assert_eq!(
        done.apply(CheckoutAction::PayStarted),
        done,
        "no pay after paid"
    );
    assert_eq!(done.apply(CheckoutAction::StartOver).stage, Stage::Shopping);
}

#[test]
fn a_canceled_order_says_whether_its_refund_is_made_or_on_its_way() {
    use crate::checkout_state::{canceled_message, refund_owed};
    use shared::wire::OrderEventView;
    let event = |kind: &str, amount: &str| OrderEventView {
        kind: kind.to_owned(),
        amount: Some(amount.to_owned()),
        at_ms: 1,
        tracking: None,
    };
    let mut order = OrderView {
        order_id: "ord_1".to_owned(),
        status: OrderStatus::Canceled,
        payment_id: "pay_1".to_owned(),
        total: "10.72".to_owned(),
        currency: Currency::Usd,
        created_at_ms: 1,
        events: vec![event("authorized", "10.72"), event("captured", "10.72")],
    };
    assert!(refund_owed(&order));
    assert!(canceled_message(&order).contains("on its way"));
    // A part refunded by the back office earlier: the rest is still owed.
    order.events.push(event("refunded", "2.00"));
    assert!(refund_owed(&order));
    order.events.push(event("refunded", "8.72"));
    assert!(!refund_owed(&order));
    assert!(canceled_message(&order).contains("refunded the full amount"));
    // An order canceled before it was paid owes nothing.
    order.events.clear();
    assert!(!refund_owed(&order));
    assert!(canceled_message(&order).contains("Nothing was charged"));
    // A paid order that is not canceled owes no refund.
    order.status = OrderStatus::Paid;
    order.events.push(event("captured", "10.72"));
    assert!(!refund_owed(&order));
}

#[test]
fn a_remembered_order_says_where_it_stands() {
    // Goal: "Your orders" names each order's standing from what the store
    // last said (refunds and tracking included), and an unpaid order's
    // expired quote. Method: summarize one record through its life.
    use crate::state::{OrderStanding, OrderSummary};
    use crate::vault::OrderRecord;
    use shared::wire::OrderEventView;
    let event = |kind: &str, amount: Option<&str>, tracking: Option<&str>| OrderEventView {
        kind: kind.to_owned(),
        amount: amount.map(str::to_owned),
        at_ms: 1,
        tracking: tracking.map(str::to_owned),
    };
    let answer = quote();
    let mut record = OrderRecord {
        quote: answer.clone(),
        receipt: None,
        order: None,
        placed_at_ms: 5,
    };
    let expires = answer.quote.body.expires_at_ms;
    let standing = |record: &OrderRecord, now: u64| OrderSummary::of(record, now).standing;
    assert_eq!(
        standing(&record, expires - 1),
        OrderStanding::AwaitingPayment
    );
    assert!(OrderSummary::of(&record, expires - 1).payable());
    assert_eq!(standing(&record, expires), OrderStanding::QuoteExpired);
    record.receipt = Some(receipt_for(&answer, "10.72"));
    assert_eq!(standing(&record, expires), OrderStanding::Paid);
    let mut view = OrderView {
        order_id: "ord_1".to_owned(),
        status: OrderStatus::Shipped,
        payment_id: "pay_1".to_owned(),
        total: "10.72".to_owned(),
        currency: Currency::Usd,
        created_at_ms: 1,
        events: vec![
            event("captured", Some("10.72"), None),
            event("shipped", None, Some("TRACK-1")),
        ],
    };
    record.order = Some(view.clone());
    let summary = OrderSummary::of(&record, expires);
    assert_eq!(summary.standing, OrderStanding::Shipped);
    assert_eq!(summary.tracking.as_deref(), Some("TRACK-1"));
    assert_eq!(summary.total, "USD 10.72");
    assert_eq!(summary.items, 2);
    view.events.push(event("refunded", Some("2.00"), None));
    record.order = Some(view.clone());
    assert_eq!(standing(&record, expires), OrderStanding::PartlyRefunded);
    view.events.push(event("refunded", Some("8.72"), None));
    record.order = Some(view.clone());
    assert_eq!(standing(&record, expires), OrderStanding::Refunded);
    view.status = OrderStatus::Canceled;
    record.order = Some(view.clone());
    assert_eq!(standing(&record, expires), OrderStanding::CanceledRefunded);
    view.events.clear();
    record.order = Some(view.clone());
    assert_eq!(standing(&record, expires), OrderStanding::Canceled);
    view.status = OrderStatus::Delivered;
    record.order = Some(view);
    assert_eq!(standing(&record, expires), OrderStanding::Delivered);
}

#[test]
fn opening_a_remembered_order_never_interrupts_a_payment() {
    // Goal: an answer to "open this order" that arrives while a payment
    // runs is dropped, not shown over it. Method: start paying, then
    // apply a reopened order's answer.
    let paying = CheckoutState::default()
        .apply(CheckoutAction::Quoted(Box::new(quote())))
        .apply(CheckoutAction::PayStarted);
    let mut other = quote();
    other.order_id = "ord_other".to_owned();
    let after = paying.apply(CheckoutAction::Reopened(Box::new(CheckoutAction::Resumed(
        Box::new(other.clone()),
    ))));
    assert_eq!(after, paying);
    // While shopping, the same answer opens the order at its quote.
    let opened = CheckoutState::default().apply(CheckoutAction::Reopened(Box::new(
        CheckoutAction::Resumed(Box::new(other)),
    )));
    assert!(matches!(&opened.stage, Stage::Quoted(answer) if answer.order_id == "ord_other"));
    assert!(opened.message.unwrap().contains("awaiting payment"));
}

fn staff_order(order_id: &str, captured: &str, refunded: &str) -> shared::wire::StaffOrder {
    let answer = quote();
    shared::wire::StaffOrder {
        order_id: order_id.to_owned(),
        status: OrderStatus::Paid,
        total: "10.72".to_owned(),
        currency: Currency::Usd,
        created_at_ms: 1,
        lines: answer.quote.body.lines.clone(),
        delivery: "standard".to_owned(),
        consignee: answer.quote.body.consignee.clone(),
        captured: captured.to_owned(),
        refunded: refunded.to_owned(),
        tracking: None,
    }
}

#[test]
fn the_back_office_lists_pages_and_keeps_an_operations_result() {
    // Goal: the back office's list replaces or extends its orders as asked,
    // says how many it shows, keeps an operation's result while the list
    // reloads, and forgets everything on sign-out. Method: drive the
    // reducer through a sign-in, a next page, an operation and sign-out.
    use crate::staff_state::{StaffAction, StaffState};
    use shared::wire::{StaffOrderFilter, StaffOrderPage};
    let page = |ids: &[&str], more: bool| StaffOrderPage {
        orders: ids
            .iter()
            .map(|id| staff_order(id, "10.72", "0.00"))
            .collect(),
        next_before: more.then(|| "5~ord_b".to_owned()),
    };
    let state = StaffState::default()
        .apply(StaffAction::Loading(Some(StaffOrderFilter::Paid)))
        .apply(StaffAction::Loaded {
            page: page(&["ord_a", "ord_b"], true),
            more: false,
        });
    assert!(state.signed_in && !state.loading);
    assert_eq!(state.filter, Some(StaffOrderFilter::Paid));
    assert_eq!(
        state.message.as_deref(),
        Some("2 orders shown; there are more.")
    );
    let state = state
        .apply(StaffAction::LoadingMore)
        .apply(StaffAction::Loaded {
            page: page(&["ord_c"], false),
            more: true,
        });
    let ids: Vec<&str> = state
        .orders
        .iter()
        .map(|order| order.order_id.as_str())
        .collect();
    assert_eq!(ids, vec!["ord_a", "ord_b", "ord_c"]);
    assert_eq!(state.message.as_deref(), Some("3 orders."));
    let state = state
        .apply(StaffAction::Operating("ord_a".to_owned()))
        .apply(StaffAction::Operated(
            "Order ord_a shipped, tracking T.".to_owned(),
        ))
        .apply(StaffAction::Loaded {
            page: page(&["ord_b"], false),
            more: false,
        });
    assert_eq!(state.busy, None);
    assert_eq!(
        state.message.as_deref(),
        Some("Order ord_a shipped, tracking T.")
    );
    let failed = state
        .apply(StaffAction::Operating("ord_b".to_owned()))
        .apply(StaffAction::Failed(
            "Only a paid order can ship.".to_owned(),
        ));
    assert_eq!(failed.busy, None);
    assert_eq!(failed.alert.as_deref(), Some("Only a paid order can ship."));
    let out = failed.apply(StaffAction::SignedOut(Some(
        "The staff token was refused.".to_owned(),
    )));
    assert!(!out.signed_in && out.orders.is_empty() && out.next_before.is_none());
    assert_eq!(out.alert.as_deref(), Some("The staff token was refused."));
}

#[test]
fn the_back_office_offers_to_refund_what_is_left() {
    use crate::staff_state::refundable;
    let left = |captured: &str, refunded: &str| {
        refundable(&staff_order("ord_a", captured, refunded)).map(|money| money.amount_string())
    };
    assert_eq!(left("10.72", "0.00").as_deref(), Some("10.72"));
    assert_eq!(left("10.72", "2.00").as_deref(), Some("8.72"));
    assert_eq!(left("10.72", "10.72"), None);
    assert_eq!(left("0.00", "0.00"), None);
    assert_eq!(left("10.72", "not money"), None);
}

#[test]
fn the_locked_wallet_offers_a_passkey_only_when_one_is_stored() {
    // Goal: "Unlock with a passkey" shows exactly when the wallet has one:
    // from the stored header while locked, from the unlocked wallet's list
    // once open, kept through locking and failed work, gone with the
    // wallet. Method: drive the wallet's reducer.
    use crate::state::{PasskeySummary, WalletAction, WalletState, WalletView};
    let unlocked = |passkeys: Vec<PasskeySummary>| WalletView::Unlocked {
        cards: vec![],
        orders: vec![],
        passkeys,
        skipped: 0,
    };
    let state = WalletState::default()
        .apply(WalletAction::PasskeysStored(true))
        .apply(WalletAction::Show(WalletView::Locked));
    assert!(state.passkey_unlock);
    let state = state
        .apply(WalletAction::Show(WalletView::Working("Unlocking…")))
        .apply(WalletAction::Failed("The passkey was not used.".to_owned()));
    assert!(state.passkey_unlock);
    let state = state.apply(WalletAction::Show(unlocked(vec![])));
    assert!(!state.passkey_unlock, "the unlocked list has none");
    let state = state
        .apply(WalletAction::Show(unlocked(vec![PasskeySummary::of(
            vec![1, 2, 3],
        )])))
        .apply(WalletAction::Lock);
    assert!(state.passkey_unlock);
    assert_eq!(state.view, WalletView::Locked);
    let state = state.apply(WalletAction::PasskeysStored(false));
    assert!(!state.passkey_unlock);
    let state = state
        .apply(WalletAction::PasskeysStored(true))
        .apply(WalletAction::Show(WalletView::Empty));
    assert!(!state.passkey_unlock);
    assert_eq!(PasskeySummary::of(vec![0xff; 9]).label, "Passkey …______");
}
