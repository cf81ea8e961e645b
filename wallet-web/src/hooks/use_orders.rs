//! `use_orders`: the wallet remembers the shopper's orders. The order the
//! checkout holds (quoted, paying, paid) is kept in the vault whenever it
//! changes and the wallet is unlocked; when the wallet unlocks, the orders
//! placed last are asked of the store again, so their list shows where
//! each stands now.

use shared::wire::OrderStatus;
use yew::platform::spawn_local;
use yew::{hook, use_effect_with};

use crate::api;
use crate::checkout_state::Stage;
use crate::hooks::use_checkout::check;
use crate::hooks::use_vault::OrderKeeper;
use crate::trust::{self, ReceiptCheck};
use crate::vault::OrderRecord;

/// How many of the orders placed last are refreshed from the store on
/// unlock (one request each, one after another).
pub const ORDERS_REFRESHED_MAX: usize = 10;

/// The checkout's order as a record to keep (its first placing time is
/// filled in when kept).
fn record_of(stage: &Stage) -> Option<OrderRecord> {
    match stage {
        Stage::Quoted(answer) | Stage::Paying(answer) => Some(OrderRecord {
            quote: (**answer).clone(),
            receipt: None,
            order: None,
            placed_at_ms: 0,
        }),
        Stage::Done(paid) => Some(OrderRecord {
            quote: paid.quote.clone(),
            // Only a receipt whose signatures checked out is kept.
            receipt: paid
                .receipt
                .clone()
                .filter(|_| paid.check == Some(ReceiptCheck::Verified)),
            order: Some(paid.order.clone()),
            placed_at_ms: 0,
        }),
        Stage::Shopping | Stage::Quoting => None,
    }
}

/// Asks the store where each of the orders placed last stands, and keeps
/// what changed (with the receipt of one paid meanwhile, if its signatures
/// check out).
async fn refresh(keeper: OrderKeeper) {
    for record in keeper.recent(ORDERS_REFRESHED_MAX) {
        let (order_id, secret) = (&record.quote.order_id, &record.quote.client_secret);
        let order = match api::fetch_order(order_id, secret).await {
            Ok(order) if order.order_id == *order_id => order,
            Ok(_) | Err(_) => continue,
        };
        if record.order.as_ref() == Some(&order) {
            continue;
        }
        let receipt = match (&record.receipt, trust::gateway_root()) {
            (None, Some(root)) if order.status != OrderStatus::AwaitingPayment => {
                let receipt = api::fetch_receipt(order_id, secret).await.ok();
                let check = check(&record.quote, &receipt, &root).await;
                receipt.filter(|_| check == Some(ReceiptCheck::Verified))
            }
            _ => None,
        };
        keeper.keep(OrderRecord {
            order: Some(order),
            receipt,
            ..record
        });
    }
}

#[hook]
pub fn use_orders(keeper: OrderKeeper, unlocked: bool, stage: Stage) {
    {
        // The stage (shared pointers, cheap to hold) is the dependency; the
        // record is built only when it, or the lock, changed.
        let keeper = keeper.clone();
        use_effect_with((unlocked, stage), move |(unlocked, stage)| {
            if *unlocked && let Some(record) = record_of(stage) {
                keeper.keep(record);
            }
        });
    }
    use_effect_with(unlocked, move |unlocked| {
        if *unlocked {
            spawn_local(refresh(keeper));
        }
    });
}
