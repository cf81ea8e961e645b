//! The back office's pure state: signed in or not, the list's filter, the
//! orders shown, and what is under way. No I/O, so it is tested natively;
//! `hooks/use_staff.rs` does the calls and dispatches here. The staff
//! token is not part of it: the hook keeps it outside what renders.

use std::rc::Rc;

use shared::money::Money;
use shared::wire::{StaffOrder, StaffOrderFilter, StaffOrderPage};
use yew::Reducible;

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StaffState {
    pub signed_in: bool,
    pub filter: Option<StaffOrderFilter>,
    pub orders: Vec<StaffOrder>,
    /// Asks for the page after the last one shown.
    pub next_before: Option<String>,
    /// A list is being fetched.
    pub loading: bool,
    /// The order an operation is under way on.
    pub busy: Option<String>,
    /// A status line (announced politely).
    pub message: Option<String>,
    /// Something went wrong (announced at once).
    pub alert: Option<String>,
}

pub enum StaffAction {
    /// Fetching the first page of `filter`'s list.
    Loading(Option<StaffOrderFilter>),
    /// Fetching the next page.
    LoadingMore,
    /// A page arrived: the first (replacing the list) or the next.
    Loaded {
        page: StaffOrderPage,
        more: bool,
    },
    /// The token was refused, or the staff signed out.
    SignedOut(Option<String>),
    Failed(String),
    Operating(String),
    /// An operation went through; the list is fetched again.
    Operated(String),
}

impl StaffState {
    pub fn apply(&self, action: StaffAction) -> StaffState {
        match action {
            StaffAction::Loading(filter) => StaffState {
                filter,
                loading: true,
                alert: None,
                ..self.clone()
            },
            StaffAction::LoadingMore => StaffState {
                loading: true,
                alert: None,
                ..self.clone()
            },
            StaffAction::Loaded { page, more } => {
                let mut orders = if more {
                    self.orders.clone()
                } else {
                    Vec::new()
                };
                orders.extend(page.orders);
                let message = match (orders.len(), page.next_before.is_some()) {
                    (0, _) => "No orders here.".to_owned(),
                    (1, false) => "1 order.".to_owned(),
                    (count, false) => format!("{count} orders."),
                    (count, true) => format!("{count} orders shown; there are more."),
                };
                StaffState {
                    signed_in: true,
                    orders,
                    next_before: page.next_before,
                    loading: false,
                    busy: None,
                    message: self.busy_message().or(Some(message)),
                    ..self.clone()
                }
            }
            StaffAction::SignedOut(alert) => StaffState {
                alert,
                message: Some("Signed out.".to_owned()),
                ..StaffState::default()
            },
            StaffAction::Failed(alert) => StaffState {
                loading: false,
                busy: None,
                alert: Some(alert),
                ..self.clone()
            },
            StaffAction::Operating(order_id) => StaffState {
                busy: Some(order_id),
                alert: None,
                message: None,
                ..self.clone()
            },
            StaffAction::Operated(message) => StaffState {
                message: Some(message),
                loading: true,
                ..self.clone()
            },
        }
    }

    /// The result of an operation, kept while its list is fetched again.
    fn busy_message(&self) -> Option<String> {
        self.busy.as_ref().and(self.message.clone())
    }
}

impl Reducible for StaffState {
    type Action = StaffAction;

    fn reduce(self: Rc<Self>, action: StaffAction) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

/// What is captured and not refunded yet (the refund field's default), or
/// `None` when nothing is left or the amounts do not read.
pub fn refundable(order: &StaffOrder) -> Option<Money> {
    let captured = Money::parse_non_negative(&order.captured, order.currency).ok()?;
    let refunded = Money::parse_non_negative(&order.refunded, order.currency).ok()?;
    let left = captured.to_minor().checked_sub(refunded.to_minor())?;
    if left <= 0 {
        return None;
    }
    Money::from_minor(left, order.currency).ok()
}
