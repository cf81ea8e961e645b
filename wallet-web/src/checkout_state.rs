//! The checkout's pure state: the shopper's cart, and where the order
//! stands (shopping, quoted, paying, paid). No I/O, so it is tested
//! natively; `hooks/use_checkout.rs` does the calls and dispatches here.

use std::rc::Rc;

use shared::money::Money;
use shared::receipt::Receipt;
use shared::sign::Signed;
use shared::wire::{
    CART_LINES_MAX, LINE_QUANTITY_MAX, OrderLine, OrderView, PayDeclined, Product, QuoteAnswer,
};
use yew::Reducible;

use crate::trust::ReceiptCheck;

/// One line of the cart: the product as the catalog showed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartLine {
    pub sku: String,
    pub name: String,
    pub unit_price: Money,
    pub quantity: u32,
    /// What the store had in stock when the product was added.
    pub stock: u32,
}

impl CartLine {
    /// The most of this product one order may ask for.
    fn quantity_max(&self) -> u32 {
        self.stock.min(LINE_QUANTITY_MAX)
    }
}

/// The shopper's cart. Prices shown here are the catalog's; the quote the
/// store signs is what counts.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Cart {
    pub lines: Vec<CartLine>,
}

pub enum CartAction {
    /// One more of this product (a new line if it is not in the cart).
    Add(Product),
    SetQuantity {
        sku: String,
        quantity: u32,
    },
    Remove(String),
    Clear,
}

impl Cart {
    pub fn of(lines: Vec<CartLine>) -> Cart {
        Cart { lines }
    }

    pub fn apply(&self, action: CartAction) -> Cart {
        let mut cart = self.clone();
        match action {
            CartAction::Add(product) => {
                if let Some(line) = cart.lines.iter_mut().find(|line| line.sku == product.sku) {
                    line.quantity = (line.quantity + 1).min(line.quantity_max());
                } else if cart.lines.len() < CART_LINES_MAX
                    && product.stock > 0
                    && let Ok(unit_price) = product.unit_price()
                {
                    cart.lines.push(CartLine {
                        sku: product.sku,
                        name: product.name,
                        unit_price,
                        quantity: 1,
                        stock: product.stock,
                    });
                }
            }
            CartAction::SetQuantity { sku, quantity } => {
                if let Some(line) = cart.lines.iter_mut().find(|line| line.sku == sku) {
                    line.quantity = quantity.clamp(1, line.quantity_max().max(1));
                }
            }
            CartAction::Remove(sku) => cart.lines.retain(|line| line.sku != sku),
            CartAction::Clear => cart.lines.clear(),
        }
        cart
    }

    /// The lines as the store's quote request takes them: no prices.
    pub fn order_lines(&self) -> Vec<OrderLine> {
        self.lines
            .iter()
            .map(|line| OrderLine {
                sku: line.sku.clone(),
                quantity: line.quantity,
            })
            .collect()
    }

    /// The catalog prices times quantities, before delivery and tax; `None`
    /// for an empty cart (or one that mixes currencies).
    pub fn subtotal(&self) -> Option<Money> {
        let first = self.lines.first()?;
        let mut total = Money::zero(first.unit_price.currency());
        for line in &self.lines {
            let line_total = line.unit_price.checked_mul_quantity(line.quantity).ok()?;
            total = total.checked_add(&line_total).ok()?;
        }
        Some(total)
    }

    /// Each product's quantity, by sku.
    pub fn quantities(&self) -> Vec<(String, u32)> {
        self.lines
            .iter()
            .map(|line| (line.sku.clone(), line.quantity))
            .collect()
    }

    pub fn item_count(&self) -> u32 {
        self.lines.iter().map(|line| line.quantity).sum()
    }
}

impl Reducible for Cart {
    type Action = CartAction;

    fn reduce(self: Rc<Self>, action: CartAction) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

/// A paid (or pending) order, with its receipt and what the check of the
/// receipt's signatures found.
#[derive(Clone, Debug, PartialEq)]
pub struct PaidOrder {
    pub quote: QuoteAnswer,
    pub receipt: Option<Signed<Receipt>>,
    pub check: Option<ReceiptCheck>,
    pub order: OrderView,
}

/// Where the checkout stands.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Stage {
    /// Filling the cart and the consignee.
    #[default]
    Shopping,
    /// Waiting for the store's quote.
    Quoting,
    /// The store's signed quote, checked; the shopper picks a card.
    Quoted(Rc<QuoteAnswer>),
    /// A sealed payment is on its way.
    Paying(Rc<QuoteAnswer>),
    /// Paid (or pending at the bank): the receipt and the order.
    Done(Rc<PaidOrder>),
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct CheckoutState {
    pub stage: Stage,
    /// A status line for the shopper (announced politely).
    pub message: Option<String>,
    /// Something went wrong (announced at once).
    pub alert: Option<String>,
    /// The last decline on this order, if the shopper may try again.
    pub decline: Option<PayDeclined>,
}

pub enum CheckoutAction {
    QuoteRequested,
    Quoted(Box<QuoteAnswer>),
    /// A remembered order awaiting payment, opened again: the shopper
    /// picks a card for its quote.
    Resumed(Box<QuoteAnswer>),
    /// What opening a remembered order came to; ignored if a quote or a
    /// payment started meanwhile (it is never interrupted).
    Reopened(Box<CheckoutAction>),
    QuoteFailed(String),
    PayStarted,
    Declined(PayDeclined),
    /// Paying failed without a decline (network, refusal): the order stays
    /// quoted unless `expired`, when a new quote is needed.
    PayFailed {
        message: String,
        expired: bool,
    },
    Done(Box<PaidOrder>),
    OrderRefreshed(OrderView),
    /// The shopper canceled the paid order: the store's answer.
    OrderCanceled(OrderView),
    /// Something after the sale failed (a cancel the store refused, say);
    /// the order stays as it was.
    AfterSaleFailed(String),
    StartOver,
}

impl CheckoutState {
    fn quote(&self) -> Option<Rc<QuoteAnswer>> {
        match &self.stage {
            Stage::Quoted(quote) | Stage::Paying(quote) => Some(quote.clone()),
            _ => None,
        }
    }

    pub fn apply(&self, action: CheckoutAction) -> CheckoutState {
        let quiet = |stage: Stage| CheckoutState {
            stage,
            ..CheckoutState::default()
        };
        match action {
            CheckoutAction::QuoteRequested => CheckoutState {
                message: Some("Asking the store for a quote…".to_owned()),
                ..quiet(Stage::Quoting)
            },
            CheckoutAction::Quoted(quote) => CheckoutState {
                message: Some(
                    "The store's quote is signed and checked. Choose a card to pay.".to_owned(),
                ),
                ..quiet(Stage::Quoted(Rc::new(*quote)))
            },
            CheckoutAction::Resumed(quote) => CheckoutState {
                message: Some(format!(
                    "Order {} is awaiting payment. Choose a card to pay.",
                    quote.order_id
                )),
                ..quiet(Stage::Quoted(Rc::new(*quote)))
            },
            CheckoutAction::Reopened(action) => match self.stage {
                Stage::Quoting | Stage::Paying(_) => self.clone(),
                _ => self.apply(*action),
            },
            CheckoutAction::QuoteFailed(message) => CheckoutState {
                alert: Some(message),
                ..quiet(Stage::Shopping)
            },
            CheckoutAction::PayStarted => match self.quote() {
                Some(quote) => CheckoutState {
                    message: Some("Paying…".to_owned()),
                    ..quiet(Stage::Paying(quote))
                },
                None => self.clone(),
            },
            CheckoutAction::Declined(decline) => match self.quote() {
                Some(quote) => CheckoutState {
                    alert: Some(decline_text(&decline)),
                    decline: Some(decline),
                    ..quiet(Stage::Quoted(quote))
                },
                None => self.clone(),
            },
            CheckoutAction::PayFailed { message, expired } => match self.quote() {
                Some(_) if expired => CheckoutState {
                    alert: Some(message),
                    ..quiet(Stage::Shopping)
                },
                Some(quote) => CheckoutState {
                    alert: Some(message),
                    decline: self.decline.clone(),
                    ..quiet(Stage::Quoted(quote))
                },
                None => self.clone(),
            },
            CheckoutAction::Done(paid) => {
                use shared::wire::OrderStatus;
                let message = match (&paid.receipt, paid.check, paid.order.status) {
                    (Some(_), Some(ReceiptCheck::Verified), _) => {
                        "Paid. The receipt's signatures check out.".to_owned()
                    }
                    (Some(_), _, _) => {
                        "Paid, but the receipt's signatures do not check out.".to_owned()
                    }
                    (None, _, OrderStatus::Canceled) => {
                        "This order was canceled before it was paid.".to_owned()
                    }
                    (None, _, OrderStatus::AwaitingPayment) => {
                        "The bank has not answered yet; refresh the order in a moment.".to_owned()
                    }
                    (None, _, _) => {
                        "Paid; the receipt could not be fetched yet. Refresh the order in a moment."
                            .to_owned()
                    }
                };
                CheckoutState {
                    message: Some(message),
                    ..quiet(Stage::Done(Rc::new(*paid)))
                }
            }
            CheckoutAction::OrderRefreshed(order) => match &self.stage {
                Stage::Done(paid) => CheckoutState {
                    message: Some("Order refreshed.".to_owned()),
                    ..quiet(Stage::Done(Rc::new(PaidOrder {
                        order,
                        ..(**paid).clone()
                    })))
                },
                _ => self.clone(),
            },
            CheckoutAction::OrderCanceled(order) => match &self.stage {
                Stage::Done(paid) => CheckoutState {
                    message: Some(canceled_message(&order)),
                    ..quiet(Stage::Done(Rc::new(PaidOrder {
                        order,
                        ..(**paid).clone()
                    })))
                },
                _ => self.clone(),
            },
            CheckoutAction::AfterSaleFailed(message) => CheckoutState {
                alert: Some(message),
                ..quiet(self.stage.clone())
            },
            CheckoutAction::StartOver => CheckoutState::default(),
        }
    }
}

/// Minor units of the amounts of `order`'s events of `kind`.
pub fn event_total(order: &OrderView, kind: &str) -> i64 {
    order
        .events
        .iter()
        .filter(|event| event.kind == kind)
        .filter_map(|event| event.amount.as_deref())
        .filter_map(|amount| shared::money::Money::parse_non_negative(amount, order.currency).ok())
        .map(|money| money.to_minor())
        .sum()
}

/// Whether a canceled order still owes the shopper money: captured, and
/// not refunded in full (nor released) yet.
pub fn refund_owed(order: &OrderView) -> bool {
    order.status == shared::wire::OrderStatus::Canceled
        && event_total(order, "captured") > event_total(order, "refunded")
}

/// What the shopper is told once the order is canceled, from what the
/// store recorded: the refund made, or on its way.
pub fn canceled_message(order: &OrderView) -> String {
    if refund_owed(order) {
        "Order canceled. The refund is on its way to your card; refresh the order to follow it."
            .to_owned()
    } else if event_total(order, "refunded") > 0 {
        "Order canceled. The store refunded the full amount to your card.".to_owned()
    } else {
        "Order canceled. Nothing was charged to your card.".to_owned()
    }
}

/// The shopper's words for a decline, and what to do next.
pub fn decline_text(decline: &PayDeclined) -> String {
    let next = if decline.another_card_may_help {
        "Choose another card, or try again later."
    } else {
        "Check the card's details and try again."
    };
    let mut words = decline.message.clone();
    if let Some(first) = words.get(..1) {
        words = first.to_uppercase() + words.get(1..).unwrap_or_default();
    }
    format!("{words}. {next}")
}

impl Reducible for CheckoutState {
    type Action = CheckoutAction;

    fn reduce(self: Rc<Self>, action: CheckoutAction) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}
