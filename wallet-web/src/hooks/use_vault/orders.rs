//! The wallet's memory of orders, as the vault's hook keeps it: an
//! `OrderKeeper` reads the unlocked session's orders and writes new or
//! changed ones in the background, one at a time.

use std::rc::Rc;

use yew::UseReducerHandle;
use yew::platform::spawn_local;

use super::{Shared, failure_message, now_ms};
use crate::state::{OrderSummary, WalletAction, WalletState};
use crate::vault::{OrderRecord, Session, VaultFailure};

/// The wallet's memory of orders: reads the unlocked session's orders and
/// keeps new or changed ones (sealed, then written) in the background.
#[derive(Clone)]
pub struct OrderKeeper {
    pub(super) shared: Rc<Shared>,
    pub(super) state: UseReducerHandle<WalletState>,
}

impl PartialEq for OrderKeeper {
    fn eq(&self, other: &OrderKeeper) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl OrderKeeper {
    /// The remembered order `order_id`, if the wallet is unlocked.
    pub fn get(&self, order_id: &str) -> Option<OrderRecord> {
        let session = self.shared.session.borrow();
        session
            .as_ref()?
            .orders
            .iter()
            .find(|order| order.order_id() == order_id)
            .cloned()
    }

    /// The `count` orders placed last (none while locked).
    pub fn recent(&self, count: usize) -> Vec<OrderRecord> {
        let session = self.shared.session.borrow();
        session
            .as_ref()
            .map(|session| session.orders.iter().take(count).cloned().collect())
            .unwrap_or_default()
    }

    /// Keeps `record`: what it leaves out (no receipt yet, no view of the
    /// store's) stays as remembered. Records are kept one at a time, in
    /// the order asked, each merged with what the one before it left; one
    /// asked while a card change has the session out waits for it. Locking
    /// forgets what is still waiting.
    pub fn keep(&self, mut record: OrderRecord) {
        if self.shared.session.borrow().is_none() && !self.shared.session_out.get() {
            return;
        }
        if record.placed_at_ms == 0 {
            record.placed_at_ms = now_ms() as u64;
        }
        self.shared.order_queue.borrow_mut().push_back(record);
        keep_waiting_orders(&self.shared, &self.state);
    }
}

/// Writes the orders waiting to be kept, one after another, unless a
/// writer is at it already or the session is out (a card change; it calls
/// this again when it puts the session back).
pub(super) fn keep_waiting_orders(shared: &Rc<Shared>, state: &UseReducerHandle<WalletState>) {
    if shared.order_writer.get() {
        return;
    }
    shared.order_writer.set(true);
    let (shared, state) = (shared.clone(), state.clone());
    spawn_local(async move {
        loop {
            // Taken in a statement of its own: the queue is not borrowed
            // while the record is written (others add to it meanwhile).
            let next = shared.order_queue.borrow_mut().pop_front();
            let Some(record) = next else {
                break;
            };
            let generation = shared.generation.get();
            let sealed = {
                let session = shared.session.borrow();
                session
                    .as_ref()
                    .map(|session| session.seal_order(record.clone()))
            };
            let write = match sealed {
                // Out for a card change: wait for it to come back.
                None => {
                    shared.order_queue.borrow_mut().push_front(record);
                    break;
                }
                Some(Ok(Some(write))) => write,
                Some(Ok(None)) => continue,
                Some(Err(failure)) => {
                    state.dispatch(WalletAction::Failed(failure_message(&failure)));
                    continue;
                }
            };
            let Some(vault) = shared.vault.borrow().clone() else {
                break;
            };
            if let Err(failure) = vault.put_order(&write).await {
                // Sealed under a key a password change has just replaced:
                // sealed again once the change brings the session back.
                if failure == VaultFailure::ChangedMeanwhile && shared.session_out.get() {
                    shared
                        .order_queue
                        .borrow_mut()
                        .push_front(write.into_record());
                    break;
                }
                state.dispatch(WalletAction::Failed(format!(
                    "The order could not be kept in the wallet: {}",
                    failure_message(&failure)
                )));
                continue;
            }
            if shared.generation.get() != generation {
                continue;
            }
            let mut session = shared.session.borrow_mut();
            match session.as_mut() {
                Some(session) => {
                    session.order_written(write);
                    state.dispatch(WalletAction::Orders(order_summaries(session)));
                }
                // Written while a card change had the session out: the
                // session it brings back learns of it then.
                None => {
                    drop(session);
                    shared
                        .order_queue
                        .borrow_mut()
                        .push_front(write.into_record());
                    break;
                }
            }
        }
        shared.order_writer.set(false);
    });
}

/// The summaries of the session's orders, as the list shows them.
pub(super) fn order_summaries(session: &Session) -> Vec<OrderSummary> {
    let now = now_ms() as u64;
    session
        .orders
        .iter()
        .map(|order| OrderSummary::of(order, now))
        .collect()
}
