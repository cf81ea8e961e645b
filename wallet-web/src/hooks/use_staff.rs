//! `use_staff`: the back office's calls. The staff token is typed once and
//! kept in this hook's memory only (never stored, never rendered); a
//! refused token signs the page out. Every operation goes through the same
//! back-office API a script would use, and the list is fetched again after
//! it.

use std::cell::RefCell;
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
}

/// A failure as a sentence for the page.
fn sentence(failure: &ApiFailure) -> String {
    let mut text = failure.message.clone();
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + text.get(1..).unwrap_or_default();
    }
    format!("{text}.")
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

fn random_key() -> String {
    let mut bytes = [0_u8; 16];
    let _ = getrandom::fill(&mut bytes);
    format!("staff_{}", shared::encoding::to_base64url(&bytes))
}

/// A refund with a fresh idempotency key: one press, one refund, however
/// often the request itself is sent.
pub fn refund(amount: String) -> StaffOperation {
    StaffOperation::Refund {
        amount,
        key: random_key(),
    }
}

/// Fetches the first page of `filter`'s list with `token`.
async fn load(
    state: UseReducerHandle<StaffState>,
    token: Rc<RefCell<Option<String>>>,
    filter: Option<StaffOrderFilter>,
    before: Option<String>,
) {
    let Some(secret) = token.borrow().clone() else {
        return;
    };
    match api::staff_orders(&secret, filter, before.as_deref()).await {
        Ok(page) => state.dispatch(StaffAction::Loaded {
            page,
            more: before.is_some(),
        }),
        Err(failure) if refused(&failure) => {
            token.borrow_mut().take();
            state.dispatch(StaffAction::SignedOut(Some(
                "The staff token was refused.".to_owned(),
            )));
        }
        Err(failure) => state.dispatch(StaffAction::Failed(sentence(&failure))),
    }
}

#[hook]
pub fn use_staff() -> StaffHandle {
    let state = use_reducer(StaffState::default);
    let token = use_mut_ref(|| None::<String>);

    let sign_in = {
        let (state, token) = (state.clone(), token.clone());
        Callback::from(move |typed: String| {
            let typed = typed.trim().to_owned();
            if typed.is_empty() {
                state.dispatch(StaffAction::Failed("Type the staff token.".to_owned()));
                return;
            }
            *token.borrow_mut() = Some(typed);
            state.dispatch(StaffAction::Loading(None));
            spawn_local(load(state.clone(), token.clone(), None, None));
        })
    };

    let sign_out = {
        let (state, token) = (state.clone(), token.clone());
        Callback::from(move |()| {
            token.borrow_mut().take();
            state.dispatch(StaffAction::SignedOut(None));
        })
    };

    let show = {
        let (state, token) = (state.clone(), token.clone());
        Callback::from(move |filter: Option<StaffOrderFilter>| {
            state.dispatch(StaffAction::Loading(filter));
            spawn_local(load(state.clone(), token.clone(), filter, None));
        })
    };

    let more = {
        let (state, token) = (state.clone(), token.clone());
        Callback::from(move |()| {
            let Some(before) = state.next_before.clone() else {
                return;
            };
            state.dispatch(StaffAction::LoadingMore);
            spawn_local(load(
                state.clone(),
                token.clone(),
                state.filter,
                Some(before),
            ));
        })
    };

    let operate = {
        let (state, token) = (state.clone(), token.clone());
        Callback::from(move |(order_id, operation): (String, StaffOperation)| {
            // One operation at a time.
            if state.busy.is_some() {
                return;
            }
            let Some(secret) = token.borrow().clone() else {
                return;
            };
            state.dispatch(StaffAction::Operating(order_id.clone()));
            let (state, token) = (state.clone(), token.clone());
            spawn_local(async move {
                match api::staff_operate(&secret, &order_id, &operation).await {
                    Ok(_) => {
                        state.dispatch(StaffAction::Operated(done_text(&order_id, &operation)));
                        load(state.clone(), token, state.filter, None).await;
                    }
                    Err(failure) if refused(&failure) => {
                        token.borrow_mut().take();
                        state.dispatch(StaffAction::SignedOut(Some(
                            "The staff token was refused.".to_owned(),
                        )));
                    }
                    Err(failure) => state.dispatch(StaffAction::Failed(sentence(&failure))),
                }
            });
        })
    };

    StaffHandle {
        state,
        sign_in,
        sign_out,
        show,
        more,
        operate,
    }
}
