//! `use_staff`: the back office's calls. The staff token is typed once and
//! kept in this hook's memory only (never stored, never rendered); a
//! refused token signs the page out. Every operation goes through the same
//! back-office API a script would use, and the list is fetched again after
//! it. Each list request carries a ticket: an answer to any but the latest
//! (one overtaken by another filter, or by signing out) is dropped.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use shared::wire::StaffOrderFilter;
use yew::platform::spawn_local;
use yew::{Callback, UseReducerHandle, hook, use_mut_ref, use_reducer};

use crate::api::{self, ApiFailure, StaffOperation};
use crate::staff_state::{StaffAction, StaffState};

#[derive(Clone, PartialEq)]
pub struct StaffHandle {
    pub state: UseReducerHandle<StaffState>,
    pub sign_in: Callback<String>,
    pub sign_out: Callback<()>,
    pub show: Callback<Option<StaffOrderFilter>>,
    pub more: Callback<()>,
    /// An operation on the order with this id.
    pub operate: Callback<(String, StaffOperation)>,
    /// A refund of this amount on the order with this id, under a fresh
    /// idempotency key: one press, one refund, however often it is sent.
    pub refund: Callback<(String, String)>,
}

/// What the hook keeps outside the rendered state.
struct Session {
    token: RefCell<Option<String>>,
    /// The latest list request's ticket.
    ticket: Cell<u64>,
    /// The filter the list shows (or is being fetched for).
    filter: Cell<Option<StaffOrderFilter>>,
}

fn refused(failure: &ApiFailure) -> bool {
    failure.code == "unauthorized"
}

/// What the staff are told once an operation went through.
fn done_text(order_id: &str, operation: &StaffOperation) -> String {
    match operation {
        StaffOperation::Ship { tracking } => {
            format!("Order {order_id} shipped, tracking {tracking}.")
        }
        StaffOperation::Deliver => format!("Order {order_id} marked delivered."),
        StaffOperation::Refund { amount, .. } => {
            format!("Refund of {amount} on order {order_id} sent.")
        }
        StaffOperation::Cancel => format!("Order {order_id} canceled."),
    }
}

/// A fresh refund idempotency key, or `None` without a random source.
fn refund_key() -> Option<String> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    Some(format!("staff_{}", shared::encoding::to_base64url(&bytes)))
}

fn sign_out(session: &Session, state: &UseReducerHandle<StaffState>, alert: Option<String>) {
    session.token.borrow_mut().take();
    session.ticket.set(session.ticket.get() + 1);
    state.dispatch(StaffAction::SignedOut(alert));
}

/// Fetches a page of the list the session shows: the first (`before` is
/// `None`) or the one after `before`.
async fn load(state: UseReducerHandle<StaffState>, session: Rc<Session>, before: Option<String>) {
    let Some(token) = session.token.borrow().clone() else {
        return;
    };
    let ticket = session.ticket.get() + 1;
    session.ticket.set(ticket);
    let answer = api::staff_orders(&token, session.filter.get(), before.as_deref()).await;
    if session.ticket.get() != ticket {
        return;
    }
    match answer {
        Ok(page) => state.dispatch(StaffAction::Loaded {
            page,
            more: before.is_some(),
        }),
        Err(failure) if refused(&failure) => sign_out(
            &session,
            &state,
            Some("The staff token was refused.".to_owned()),
        ),
        Err(failure) => state.dispatch(StaffAction::Failed(failure.sentence())),
    }
}

#[hook]
pub fn use_staff() -> StaffHandle {
    let state = use_reducer(StaffState::default);
    let session = use_mut_ref(|| {
        Rc::new(Session {
            token: RefCell::new(None),
            ticket: Cell::new(0),
            filter: Cell::new(None),
        })
    })
    .borrow()
    .clone();

    let sign_in = {
        let (state, session) = (state.clone(), session.clone());
        Callback::from(move |typed: String| {
            let typed = typed.trim().to_owned();
            if typed.is_empty() {
                state.dispatch(StaffAction::Failed("Type the staff token.".to_owned()));
                return;
            }
            *session.token.borrow_mut() = Some(typed);
            session.filter.set(None);
            state.dispatch(StaffAction::Loading(None));
            spawn_local(load(state.clone(), session.clone(), None));
        })
    };

    let sign_out_callback = {
        let (state, session) = (state.clone(), session.clone());
        Callback::from(move |()| sign_out(&session, &state, None))
    };

    let show = {
        let (state, session) = (state.clone(), session.clone());
        Callback::from(move |filter: Option<StaffOrderFilter>| {
            session.filter.set(filter);
            state.dispatch(StaffAction::Loading(filter));
            spawn_local(load(state.clone(), session.clone(), None));
        })
    };

    let more = {
        let (state, session) = (state.clone(), session.clone());
        Callback::from(move |()| {
            let Some(before) = state.next_before.clone() else {
                return;
            };
            state.dispatch(StaffAction::LoadingMore);
            spawn_local(load(state.clone(), session.clone(), Some(before)));
        })
    };

    let operate = {
        let (state, session) = (state.clone(), session.clone());
        Callback::from(move |(order_id, operation): (String, StaffOperation)| {
            // One operation at a time.
            if state.busy.is_some() {
                return;
            }
            let Some(token) = session.token.borrow().clone() else {
                return;
            };
            state.dispatch(StaffAction::Operating(order_id.clone()));
            let (state, session) = (state.clone(), session.clone());
            spawn_local(async move {
                let answer = api::staff_operate(&token, &order_id, &operation).await;
                // Signed out meanwhile: nothing more to show.
                if session.token.borrow().is_none() {
                    return;
                }
                match answer {
                    Ok(_) => {
                        state.dispatch(StaffAction::Operated(done_text(&order_id, &operation)));
                        load(state, session, None).await;
                    }
                    Err(failure) if refused(&failure) => sign_out(
                        &session,
                        &state,
                        Some("The staff token was refused.".to_owned()),
                    ),
                    Err(failure) => state.dispatch(StaffAction::Failed(failure.sentence())),
                }
            });
        })
    };

    let refund = {
        let (state, operate) = (state.clone(), operate.clone());
        Callback::from(
            move |(order_id, amount): (String, String)| match refund_key() {
                Some(key) => operate.emit((order_id, StaffOperation::Refund { amount, key })),
                None => state.dispatch(StaffAction::Failed(
                    "This browser has no random source; the refund was not sent.".to_owned(),
                )),
            },
        )
    };

    StaffHandle {
        state,
        sign_in,
        sign_out: sign_out_callback,
        show,
        more,
        operate,
        refund,
    }
}
