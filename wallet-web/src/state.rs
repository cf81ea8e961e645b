//! Pure page state and its reducers; no I/O, so it is tested natively.

use std::rc::Rc;

use shared::wire::Product;
use yew::Reducible;

/// What the catalog panel shows.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum CatalogView {
    #[default]
    Loading,
    Ready(Vec<Product>),
    Failed(String),
}

/// The catalog and the id of the newest request, so that an older answer
/// arriving late never overwrites a newer search.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CatalogState {
    pub newest_request: u64,
    pub view: CatalogView,
}

pub enum CatalogAction {
    Requested {
        request: u64,
    },
    Loaded {
        request: u64,
        products: Vec<Product>,
    },
    Failed {
        request: u64,
        message: String,
    },
}

impl CatalogState {
    pub fn apply(&self, action: CatalogAction) -> CatalogState {
        match action {
            CatalogAction::Requested { request } => CatalogState {
                newest_request: request,
                view: CatalogView::Loading,
            },
            CatalogAction::Loaded { request, products } if request == self.newest_request => {
                CatalogState {
                    newest_request: request,
                    view: CatalogView::Ready(products),
                }
            }
            CatalogAction::Failed { request, message } if request == self.newest_request => {
                CatalogState {
                    newest_request: request,
                    view: CatalogView::Failed(message),
                }
            }
            CatalogAction::Loaded { .. } | CatalogAction::Failed { .. } => self.clone(),
        }
    }
}

impl Reducible for CatalogState {
    type Action = CatalogAction;

    fn reduce(self: Rc<Self>, action: CatalogAction) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

/// A card as the wallet lists it: never the full number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardSummary {
    pub id: String,
    pub brand: &'static str,
    pub last_four: String,
    pub expiry: String,
    pub expired: bool,
    pub nickname: String,
    pub holder_name: String,
    /// A passkey confirms this card's payments with its issuer.
    pub passkey: bool,
}

/// Where an order the wallet remembers stands, as the list shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStanding {
    /// Quoted and not paid; the quote may still be paid.
    AwaitingPayment,
    /// Quoted and not paid, and the quote has expired.
    QuoteExpired,
    Paid,
    Shipped,
    Delivered,
    /// Refunded in full (the order may have shipped, or been canceled).
    Refunded,
    /// Refunded in part.
    PartlyRefunded,
    Canceled,
    /// Canceled after it was paid, and refunded in full.
    CanceledRefunded,
}

impl OrderStanding {
    pub fn label(self) -> &'static str {
        match self {
            OrderStanding::AwaitingPayment => "awaiting payment",
            OrderStanding::QuoteExpired => "not paid; the quote has expired",
            OrderStanding::Paid => "paid",
            OrderStanding::Shipped => "shipped",
            OrderStanding::Delivered => "delivered",
            OrderStanding::Refunded => "refunded",
            OrderStanding::PartlyRefunded => "partly refunded",
            OrderStanding::Canceled => "canceled",
            OrderStanding::CanceledRefunded => "canceled, refunded",
        }
    }
}

/// An order as the wallet's list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderSummary {
    pub order_id: String,
    pub placed_at_ms: u64,
    /// "USD 12.34".
    pub total: String,
    pub items: u32,
    pub standing: OrderStanding,
    /// The parcel's tracking reference, once shipped.
    pub tracking: Option<String>,
}

impl OrderSummary {
    /// Summarizes a remembered order as of `now_ms`, from the store's last
    /// view of it (or, before the wallet has asked, from the receipt).
    pub fn of(record: &crate::vault::OrderRecord, now_ms: u64) -> OrderSummary {
        use shared::wire::OrderStatus;
        let quote = &record.quote.quote.body;
        let status = match (&record.order, &record.receipt) {
            (Some(order), _) => order.status,
            (None, Some(_)) => OrderStatus::Paid,
            (None, None) => OrderStatus::AwaitingPayment,
        };
        let (captured, refunded) = record.order.as_ref().map_or((0, 0), |order| {
            (
                crate::checkout_state::event_total(order, "captured"),
                crate::checkout_state::event_total(order, "refunded"),
            )
        });
        let standing = match status {
            OrderStatus::AwaitingPayment if now_ms >= quote.expires_at_ms => {
                OrderStanding::QuoteExpired
            }
            OrderStatus::AwaitingPayment => OrderStanding::AwaitingPayment,
            OrderStatus::Canceled if refunded > 0 && refunded >= captured => {
                OrderStanding::CanceledRefunded
            }
            _ if refunded > 0 && refunded >= captured => OrderStanding::Refunded,
            _ if refunded > 0 => OrderStanding::PartlyRefunded,
            OrderStatus::Paid => OrderStanding::Paid,
            OrderStatus::Shipped => OrderStanding::Shipped,
            OrderStatus::Delivered => OrderStanding::Delivered,
            OrderStatus::Canceled => OrderStanding::Canceled,
        };
        let tracking = record.order.as_ref().and_then(|order| {
            order
                .events
                .iter()
                .rev()
                .find(|event| event.kind == "shipped")
                .and_then(|event| event.tracking.clone())
        });
        OrderSummary {
            order_id: record.quote.order_id.clone(),
            placed_at_ms: record.placed_at_ms,
            total: format!("{} {}", quote.currency.code(), quote.total),
            items: quote.lines.iter().map(|line| line.quantity).sum(),
            standing,
            tracking,
        }
    }

    /// Whether the shopper can still pay it.
    pub fn payable(&self) -> bool {
        self.standing == OrderStanding::AwaitingPayment
    }
}

/// A passkey that unlocks the wallet, as its list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeySummary {
    pub credential_id: Vec<u8>,
    /// "Passkey …a1b2c3": the end of its credential id, to tell several
    /// apart.
    pub label: String,
}

impl PasskeySummary {
    pub fn of(credential_id: Vec<u8>) -> PasskeySummary {
        let encoded = shared::encoding::to_base64url(&credential_id);
        let tail: String = encoded
            .chars()
            .rev()
            .take(PASSKEY_LABEL_CHARS)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        PasskeySummary {
            credential_id,
            label: format!("Passkey …{tail}"),
        }
    }
}

/// How many characters of a credential id its label shows.
const PASSKEY_LABEL_CHARS: usize = 6;

/// What the wallet panel shows.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum WalletView {
    /// Opening the browser's storage.
    #[default]
    Opening,
    /// No wallet in this browser yet.
    Empty,
    Locked,
    /// Deriving keys or writing: a spinner and what is happening.
    Working(&'static str),
    Unlocked {
        cards: Vec<CardSummary>,
        orders: Vec<OrderSummary>,
        passkeys: Vec<PasskeySummary>,
        skipped: usize,
    },
    /// Storage cannot be used at all (private mode, blocked storage).
    Unavailable(String),
}

/// The wallet panel's state: its view, the view to return to when work
/// fails (the last one that was not `Working`), and the last message for
/// the `aria-live` status line.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct WalletState {
    pub view: WalletView,
    resting: WalletView,
    pub message: Option<String>,
    /// The locked wallet may be unlocked with a passkey.
    pub passkey_unlock: bool,
}

pub enum WalletAction {
    Show(WalletView),
    ShowWithMessage(WalletView, String),
    /// A failure while the view stays as it was.
    Failed(String),
    /// Locking drops the cards from the view (and the session elsewhere).
    Lock,
    /// The remembered orders changed (kept, or refreshed from the store);
    /// the view shows them if the wallet is unlocked.
    Orders(Vec<OrderSummary>),
    /// Whether the stored wallet names a passkey (read while locked).
    PasskeysStored(bool),
}

impl WalletState {
    pub fn apply(&self, action: WalletAction) -> WalletState {
        match action {
            WalletAction::Show(view) => self.showing(view, None),
            WalletAction::ShowWithMessage(view, message) => self.showing(view, Some(message)),
            // A failure returns to where the work began.
            WalletAction::Failed(message) => WalletState {
                view: self.resting.clone(),
                resting: self.resting.clone(),
                message: Some(message),
                passkey_unlock: self.passkey_unlock,
            },
            WalletAction::Lock => WalletState {
                view: WalletView::Locked,
                resting: WalletView::Locked,
                message: Some("Wallet locked.".to_owned()),
                passkey_unlock: self.passkey_unlock,
            },
            WalletAction::PasskeysStored(possible) => WalletState {
                passkey_unlock: possible,
                ..self.clone()
            },
            WalletAction::Orders(orders) => {
                let with_orders = |view: &WalletView| match view {
                    WalletView::Unlocked {
                        cards,
                        skipped,
                        passkeys,
                        ..
                    } => WalletView::Unlocked {
                        cards: cards.clone(),
                        orders: orders.clone(),
                        passkeys: passkeys.clone(),
                        skipped: *skipped,
                    },
                    other => other.clone(),
                };
                WalletState {
                    view: with_orders(&self.view),
                    resting: with_orders(&self.resting),
                    message: self.message.clone(),
                    passkey_unlock: self.passkey_unlock,
                }
            }
        }
    }

    fn showing(&self, view: WalletView, message: Option<String>) -> WalletState {
        let resting = match view {
            WalletView::Working(_) => self.resting.clone(),
            _ => view.clone(),
        };
        // An unlocked view knows the passkeys; the locked one keeps the
        // last known.
        let passkey_unlock = match &view {
            WalletView::Unlocked { passkeys, .. } => !passkeys.is_empty(),
            WalletView::Empty => false,
            _ => self.passkey_unlock,
        };
        WalletState {
            view,
            resting,
            message,
            passkey_unlock,
        }
    }
}

impl Reducible for WalletState {
    type Action = WalletAction;

    fn reduce(self: Rc<Self>, action: WalletAction) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

/// How strong a new password looks (a hint, not a rule beyond the minimum).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strength {
    TooShort,
    Weak,
    Fair,
    Strong,
}

impl Strength {
    pub fn of(password: &str) -> Strength {
        let length = password.chars().count();
        if length < shared::vault::VAULT_PASSWORD_CHARS_MIN {
            return Strength::TooShort;
        }
        let classes = [
            password.chars().any(|c| c.is_ascii_lowercase()),
            password.chars().any(|c| c.is_ascii_uppercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| !c.is_ascii_alphanumeric()),
        ]
        .into_iter()
        .filter(|present| *present)
        .count();
        match (length, classes) {
            (16.., _) | (12.., 3..) => Strength::Strong,
            (12.., _) | (_, 3..) => Strength::Fair,
            _ => Strength::Weak,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Strength::TooShort => "too short: at least 10 characters",
            Strength::Weak => "weak: longer is stronger",
            Strength::Fair => "fair",
            Strength::Strong => "strong",
        }
    }
}

/// An expiry as typed: once more than two digits are in and no slash is,
/// the slash goes after the month ("123" becomes "12/3", "1230" becomes
/// "12/30"); anything with a slash, or not only digits, is left as typed.
pub fn format_expiry_typing(raw: &str) -> String {
    let digits_only = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    if digits_only && raw.len() > 2 {
        let (month, year) = raw.split_at(2);
        format!("{month}/{year}")
    } else {
        raw.to_owned()
    }
}

/// A card number as typed, grouped for reading: 4-4-4-4(-3), or 4-6-5 for
/// American Express. Anything but digits is dropped; at most 19 digits.
pub fn group_card_number(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).take(19).collect();
    let amex = matches!(
        shared::card::Brand::detect(&digits),
        Some(shared::card::Brand::Amex)
    );
    let groups: &[usize] = if amex { &[4, 6, 5] } else { &[4, 4, 4, 4, 3] };
    let mut grouped = String::with_capacity(digits.len() + 4);
    let mut rest = digits.as_str();
    for &size in groups {
        if rest.is_empty() {
            break;
        }
        let (group, tail) = rest.split_at(size.min(rest.len()));
        if !grouped.is_empty() {
            grouped.push(' ');
        }
        grouped.push_str(group);
        rest = tail;
    }
    grouped
}

/// Live feedback on a card number being typed.
pub fn card_number_feedback(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return String::new();
    }
    let brand =
        shared::card::Brand::detect(&digits).map_or("unknown network", |brand| brand.name());
    match shared::card::CardNumber::parse(&digits) {
        Ok(_) => format!("{brand}: number looks right"),
        Err(shared::card::CardError::ChecksumFailed) => {
            format!("{brand}: check the digits (checksum fails)")
        }
        Err(_) => brand.to_owned(),
    }
}

/// Live feedback on an expiry being typed, as of `today`.
pub fn expiry_feedback(raw: &str, today: shared::card::YearMonth) -> String {
    if raw.trim().is_empty() {
        return String::new();
    }
    match shared::card::Expiry::parse(raw) {
        Ok(expiry) if expiry.is_expired_at(today) => "this card has expired".to_owned(),
        Ok(expiry) => format!("valid through {:02}/{}", expiry.month(), expiry.year()),
        Err(_) => "use MM/YY, like 08/29".to_owned(),
    }
}
