//! `use_vault`: the wallet panel's bridge to `vault.rs`. It holds the open
//! database and, while unlocked, the session (vault key and cards) outside
//! the rendered state, so nothing secret is ever part of what renders. It
//! locks on demand, after `VAULT_IDLE_LOCK_MS` without activity, and when
//! the tab stays hidden for `VAULT_HIDDEN_LOCK_MS`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use gloo_events::EventListener;
use shared::card::{CardNumber, Cvc, Expiry, YearMonth, check_holder_name};
use shared::keyset::GatewayKey;
use shared::rand_core::UnwrapErr;
use shared::seal::{
    CardDetails, Encapsulation, PasskeyProof, PaymentBinding, PaymentPlaintext, SealedPayment,
    seal_payment, seal_payment_encapsulated,
};
use shared::vault::{CARD_NICKNAME_CHARS_MAX, CardRecord, KdfParams, VAULT_PASSKEYS_MAX};
use yew::platform::spawn_local;
use yew::platform::time::sleep;
use yew::{Callback, UseReducerHandle, hook, use_effect_with, use_memo, use_mut_ref, use_reducer};
use zeroize::Zeroizing;

mod orders;

pub use orders::OrderKeeper;
use orders::{keep_waiting_orders, order_summaries};

use crate::state::{CardSummary, PasskeySummary, WalletAction, WalletState, WalletView};
use crate::vault::{DATABASE_NAME, OrderRecord, Session, Vault, VaultFailure};

/// Lock after this long without a key press or pointer press: 5 minutes.
pub const VAULT_IDLE_LOCK_MS: f64 = 5.0 * 60.0 * 1000.0;
/// Lock when the tab has stayed hidden this long: 1 minute.
pub const VAULT_HIDDEN_LOCK_MS: f64 = 60.0 * 1000.0;
/// How often the idle and hidden timers are checked.
const LOCK_CHECK_INTERVAL: Duration = Duration::from_secs(5);
/// A pause that lets the browser paint the "working" state before Argon2
/// takes the main thread.
const PAINT_PAUSE: Duration = Duration::from_millis(50);

/// A card as typed into the add-card form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCard {
    pub number: String,
    pub expiry: String,
    pub holder_name: String,
    pub nickname: String,
}

/// Seals a payment with one of the unlocked wallet's cards. The card leaves
/// the session only sealed; the CVC is used once and dropped.
#[derive(Clone)]
pub struct Sealer(Rc<Shared>);

impl PartialEq for Sealer {
    fn eq(&self, other: &Sealer) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Sealer {
    /// The credential id of the passkey enrolled for this card, if any.
    pub fn card_passkey(&self, card_id: &str) -> Option<Vec<u8>> {
        let session = self.0.session.borrow();
        session
            .as_ref()?
            .cards
            .iter()
            .find(|stored| stored.id == card_id)
            .map(|stored| stored.card.passkey_credential.clone())
            .filter(|credential| !credential.is_empty())
    }

    /// How the card is named to the shopper's authenticator.
    pub fn card_label(&self, card_id: &str) -> String {
        let session = self.0.session.borrow();
        session
            .as_ref()
            .and_then(|session| session.cards.iter().find(|stored| stored.id == card_id))
            .map(|stored| {
                format!(
                    "{} •••• {}",
                    stored.card.number.brand().name(),
                    stored.card.number.last_four()
                )
            })
            .unwrap_or_else(|| "Card".to_owned())
    }

    /// Seals the card's details with the payment: its X25519 by the
    /// browser's WebCrypto where it has one (native code, faster than
    /// wasm), else in wasm; the same sealed bytes either way.
    pub async fn seal(
        &self,
        card_id: &str,
        cvc: &str,
        binding: PaymentBinding,
        passkey: Option<PasskeyProof>,
        key: &GatewayKey,
    ) -> Result<SealedPayment, String> {
        let encapsulation = encapsulate(&key.public_key.0).await;
        self.0.last_activity_ms.set(now_ms());
        let session = self.0.session.borrow();
        let Some(session) = session.as_ref() else {
            return Err("Unlock the wallet to pay.".to_owned());
        };
        let Some(stored) = session.cards.iter().find(|stored| stored.id == card_id) else {
            return Err("That card is no longer in the wallet.".to_owned());
        };
        let card = &stored.card;
        let cvc = Cvc::parse(cvc, card.number.brand())
            .map_err(|error| format!("Security code: {error}."))?;
        let plaintext = PaymentPlaintext {
            card: CardDetails {
                number: card.number.clone(),
                expiry: card.expiry,
                cvc,
                holder_name: card.holder_name.clone(),
            },
            binding,
            passkey,
        };
        match encapsulation {
            Some(encapsulation) => seal_payment_encapsulated(&plaintext, key, encapsulation),
            None => seal_payment(&plaintext, key, &mut UnwrapErr(getrandom::SysRng)),
        }
        .map_err(|error| format!("The payment could not be sealed: {error}."))
    }
}

/// An X25519 encapsulation to `recipient` by the browser's WebCrypto, if
/// it has X25519 (native builds, for the unit tests, have no browser).
#[cfg(target_arch = "wasm32")]
async fn encapsulate(recipient: &[u8; 32]) -> Option<Encapsulation> {
    crate::webcrypto::encapsulate(recipient).await.ok()
}

#[cfg(not(target_arch = "wasm32"))]
async fn encapsulate(_recipient: &[u8; 32]) -> Option<Encapsulation> {
    None
}

#[derive(Clone, PartialEq)]
pub struct VaultHandle {
    pub sealer: Sealer,
    pub orders: OrderKeeper,
    pub state: UseReducerHandle<WalletState>,
    pub create: Callback<String>,
    pub unlock: Callback<String>,
    pub lock: Callback<()>,
    pub add_card: Callback<NewCard>,
    pub remove_card: Callback<String>,
    pub change_password: Callback<(String, String)>,
    /// Unlocks with one of the wallet's passkeys.
    pub unlock_with_passkey: Callback<()>,
    /// Creates a passkey and lets it unlock the wallet too.
    pub add_passkey: Callback<()>,
    /// Stops every passkey from unlocking the wallet (with the password,
    /// which replacing the vault key needs).
    pub remove_passkeys: Callback<String>,
    /// Why passkeys cannot be used on this page, if they cannot.
    pub passkeys_unavailable: Option<&'static str>,
    /// Records that a payment enrolled a passkey (credential id) for the
    /// card (id) with its issuer.
    pub card_passkey_enrolled: Callback<(String, Vec<u8>)>,
}

type Pending<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T>>>;

/// Work on the open vault, given what the callbacks share and the state.
type Work = Box<dyn FnOnce(Rc<Vault>, Rc<Shared>, UseReducerHandle<WalletState>) -> Pending<()>>;

/// Work on the unlocked session: it hands the session back with a message
/// for the shopper (or a failure message).
type SessionWork =
    Box<dyn FnOnce(Rc<Vault>, Session) -> Pending<(Session, Result<String, String>)>>;

/// Everything the callbacks share.
struct Shared {
    vault: RefCell<Option<Rc<Vault>>>,
    session: RefCell<Option<Session>>,
    /// Raised by every lock; work that began before a lock does not put its
    /// session back.
    generation: Cell<u64>,
    last_activity_ms: Cell<f64>,
    hidden_since_ms: Cell<Option<f64>>,
    /// The session is out with a card change (not locked).
    session_out: Cell<bool>,
    /// Orders waiting to be kept, in the order asked.
    order_queue: RefCell<std::collections::VecDeque<OrderRecord>>,
    /// An order writer is running.
    order_writer: Cell<bool>,
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn today() -> YearMonth {
    YearMonth::from_unix_ms(now_ms() as u64)
}

pub fn summarize(session: &Session) -> Vec<CardSummary> {
    let today = today();
    session
        .cards
        .iter()
        .map(|stored| CardSummary {
            id: stored.id.clone(),
            brand: stored.card.number.brand().name(),
            last_four: stored.card.number.last_four().to_owned(),
            expiry: stored.card.expiry.display(),
            expired: stored.card.expiry.is_expired_at(today),
            nickname: stored.card.nickname.clone(),
            holder_name: stored.card.holder_name.clone(),
            passkey: !stored.card.passkey_credential.is_empty(),
        })
        .collect()
}

fn unlocked(session: &Session) -> WalletView {
    WalletView::Unlocked {
        cards: summarize(session),
        orders: order_summaries(session),
        passkeys: session
            .passkey_ids()
            .into_iter()
            .map(PasskeySummary::of)
            .collect(),
        skipped: session.skipped,
    }
}

fn failure_message(failure: &VaultFailure) -> String {
    match failure {
        VaultFailure::WrongPassword { failures }
            if *failures >= crate::vault::UNLOCK_ATTEMPTS_FREE =>
        {
            format!(
                "Wrong password ({failures} times in a row). Each further attempt waits a little longer."
            )
        }
        VaultFailure::WrongPassword { .. } => "Wrong password. Try again.".to_owned(),
        VaultFailure::TooSoon { retry_after_ms } => format!(
            "Too many wrong passwords. Try again in {} s.",
            retry_after_ms.div_ceil(1000)
        ),
        other => format!("{}.", capitalized(&other.to_string())),
    }
}

fn capitalized(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

/// Validates the add-card form as of `today`; the message names the field.
pub fn parse_new_card(card: &NewCard, today: YearMonth) -> Result<CardRecord, String> {
    let number =
        CardNumber::parse(&card.number).map_err(|error| format!("Card number: {error}."))?;
    let expiry = Expiry::parse(&card.expiry).map_err(|error| format!("Expiry: {error}."))?;
    if expiry.is_expired_at(today) {
        return Err("Expiry: this card has expired.".to_owned());
    }
    let holder_name = check_holder_name(&card.holder_name)
        .map_err(|error| format!("Cardholder name: {error}."))?
        .to_owned();
    let nickname = card.nickname.trim().to_owned();
    if nickname.chars().count() > CARD_NICKNAME_CHARS_MAX || nickname.chars().any(char::is_control)
    {
        return Err(format!(
            "Nickname: at most {CARD_NICKNAME_CHARS_MAX} characters."
        ));
    }
    Ok(CardRecord {
        number,
        expiry,
        holder_name,
        nickname,
        passkey_credential: Vec::new(),
    })
}

#[hook]
pub fn use_vault() -> VaultHandle {
    let state = use_reducer(WalletState::default);
    let shared = use_mut_ref(|| {
        Rc::new(Shared {
            vault: RefCell::new(None),
            session: RefCell::new(None),
            generation: Cell::new(0),
            last_activity_ms: Cell::new(now_ms()),
            hidden_since_ms: Cell::new(None),
            session_out: Cell::new(false),
            order_queue: RefCell::new(std::collections::VecDeque::new()),
            order_writer: Cell::new(false),
        })
    })
    .borrow()
    .clone();

    let lock = {
        let (state, shared) = (state.clone(), shared.clone());
        Callback::from(move |()| {
            shared.generation.set(shared.generation.get() + 1);
            shared.session_out.set(false);
            shared.order_queue.borrow_mut().clear();
            // Dropping the session zeroizes the vault key.
            drop(shared.session.borrow_mut().take());
            state.dispatch(WalletAction::Lock);
            // Whether the locked wallet offers a passkey, as stored now
            // (another tab may have added or removed one).
            if let Some(vault) = shared.vault.borrow().clone() {
                let state = state.clone();
                spawn_local(async move {
                    if let Ok(status) = vault.status().await {
                        state.dispatch(WalletAction::PasskeysStored(status.passkeys > 0));
                    }
                });
            }
        })
    };

    {
        // On mount: open the database, then watch for idleness and hiding.
        let (state, shared, lock) = (state.clone(), shared.clone(), lock.clone());
        use_effect_with((), move |()| {
            let opening = (state.clone(), shared.clone());
            spawn_local(async move {
                let (state, shared) = opening;
                match Vault::open(DATABASE_NAME).await {
                    Ok(vault) => {
                        let status = vault.status().await;
                        *shared.vault.borrow_mut() = Some(Rc::new(vault));
                        match status {
                            Ok(status) if status.exists => {
                                state.dispatch(WalletAction::PasskeysStored(status.passkeys > 0));
                                state.dispatch(WalletAction::Show(WalletView::Locked))
                            }
                            Ok(_) => state.dispatch(WalletAction::Show(WalletView::Empty)),
                            Err(failure) => state.dispatch(WalletAction::Show(
                                WalletView::Unavailable(failure.to_string()),
                            )),
                        }
                    }
                    Err(failure) => state.dispatch(WalletAction::Show(WalletView::Unavailable(
                        failure.to_string(),
                    ))),
                }
            });
            let document = gloo_utils::document();
            let activity: Vec<EventListener> = ["keydown", "pointerdown"]
                .into_iter()
                .map(|event| {
                    let shared = shared.clone();
                    EventListener::new(&document, event, move |_| {
                        shared.last_activity_ms.set(now_ms())
                    })
                })
                .collect();
            let visibility = {
                let shared = shared.clone();
                let watched = document.clone();
                EventListener::new(&document, "visibilitychange", move |_| {
                    let hidden = watched.visibility_state() == web_sys::VisibilityState::Hidden;
                    shared.hidden_since_ms.set(hidden.then(now_ms));
                })
            };
            let running = Rc::new(Cell::new(true));
            {
                let running = running.clone();
                spawn_local(async move {
                    while running.get() {
                        sleep(LOCK_CHECK_INTERVAL).await;
                        if shared.session.borrow().is_none() {
                            continue;
                        }
                        let now = now_ms();
                        let idle = now - shared.last_activity_ms.get() > VAULT_IDLE_LOCK_MS;
                        let hidden_long = shared
                            .hidden_since_ms
                            .get()
                            .is_some_and(|since| now - since > VAULT_HIDDEN_LOCK_MS);
                        if idle || hidden_long {
                            lock.emit(());
                        }
                    }
                });
            }
            move || {
                running.set(false);
                drop(activity);
                drop(visibility);
            }
        });
    }

    // Runs `work` with the open vault after the working state has painted.
    let run = {
        let (state, shared) = (state.clone(), shared.clone());
        move |doing: &'static str, work: Work| {
            let Some(vault) = shared.vault.borrow().clone() else {
                state.dispatch(WalletAction::Failed(
                    "This browser's storage is not available.".to_owned(),
                ));
                return;
            };
            state.dispatch(WalletAction::Show(WalletView::Working(doing)));
            let (state, shared) = (state.clone(), shared.clone());
            spawn_local(async move {
                sleep(PAINT_PAUSE).await;
                work(vault, shared, state).await;
            });
        }
    };

    let create = {
        let run = run.clone();
        Callback::from(move |password: String| {
            // Wiped when the work is done, whatever its outcome.
            let password = Zeroizing::new(password);
            run(
                "Creating your wallet…",
                Box::new(move |vault, shared, state| {
                    Box::pin(async move {
                        match vault.create(password.as_str(), KdfParams::DEFAULT).await {
                            Ok(session) => {
                                let view = unlocked(&session);
                                *shared.session.borrow_mut() = Some(session);
                                shared.last_activity_ms.set(now_ms());
                                state.dispatch(WalletAction::ShowWithMessage(
                                    view,
                                    "Wallet created and unlocked.".to_owned(),
                                ));
                            }
                            Err(failure) => {
                                state.dispatch(WalletAction::Failed(failure_message(&failure)))
                            }
                        }
                    })
                }),
            );
        })
    };

    let unlock = {
        let run = run.clone();
        Callback::from(move |password: String| {
            let password = Zeroizing::new(password);
            run(
                "Unlocking…",
                Box::new(move |vault, shared, state| {
                    Box::pin(async move {
                        match vault
                            .unlock(password.as_str(), KdfParams::DEFAULT, now_ms() as u64)
                            .await
                        {
                            Ok(session) => {
                                let view = unlocked(&session);
                                let message = match session.skipped {
                                    0 => "Wallet unlocked.".to_owned(),
                                    skipped => format!(
                                        "Wallet unlocked. {skipped} damaged record(s) could not be read and were skipped."
                                    ),
                                };
                                *shared.session.borrow_mut() = Some(session);
                                shared.last_activity_ms.set(now_ms());
                                state.dispatch(WalletAction::ShowWithMessage(view, message));
                            }
                            Err(failure) => {
                                state.dispatch(WalletAction::Failed(failure_message(&failure)))
                            }
                        }
                    })
                }),
            );
        })
    };

    // Card changes take the session out while they run (no borrow is held
    // across an await) and put it back unless the wallet locked meanwhile.
    let with_session = {
        let (state, shared) = (state.clone(), shared.clone());
        move |work: SessionWork| {
            let vault = shared.vault.borrow().clone();
            let session = shared.session.borrow_mut().take();
            let (Some(vault), Some(session)) = (vault, session) else {
                state.dispatch(WalletAction::Failed("Unlock the wallet first.".to_owned()));
                return;
            };
            let generation = shared.generation.get();
            shared.session_out.set(true);
            let (state, shared) = (state.clone(), shared.clone());
            spawn_local(async move {
                let (session, outcome) = work(vault, session).await;
                if shared.generation.get() != generation {
                    return;
                }
                let view = unlocked(&session);
                *shared.session.borrow_mut() = Some(session);
                shared.session_out.set(false);
                // Orders asked to be kept meanwhile are kept now.
                keep_waiting_orders(&shared, &state);
                match outcome {
                    Ok(message) => state.dispatch(WalletAction::ShowWithMessage(view, message)),
                    Err(message) => {
                        state.dispatch(WalletAction::Show(view));
                        state.dispatch(WalletAction::Failed(message));
                    }
                }
            });
        }
    };

    let add_card = {
        let with_session = with_session.clone();
        Callback::from(move |card: NewCard| {
            let record = parse_new_card(&card, today());
            with_session(Box::new(move |vault, mut session| {
                Box::pin(async move {
                    let outcome = match record {
                        Ok(record) => {
                            let last_four = record.number.last_four().to_owned();
                            vault
                                .add_card(&mut session, record)
                                .await
                                .map(|_| format!("Card ending {last_four} added."))
                                .map_err(|failure| failure_message(&failure))
                        }
                        Err(message) => Err(message),
                    };
                    (session, outcome)
                })
            }));
        })
    };

    let change_password = {
        let with_session = with_session.clone();
        Callback::from(move |(current, new): (String, String)| {
            with_session(Box::new(move |vault, mut session| {
                Box::pin(async move {
                    let outcome = vault
                        .change_password(
                            &mut session,
                            &current,
                            &new,
                            KdfParams::DEFAULT,
                            now_ms() as u64,
                        )
                        .await
                        .map(|()| "Password changed.".to_owned())
                        .map_err(|failure| match failure {
                            VaultFailure::WrongPassword { failures }
                                if failures < crate::vault::UNLOCK_ATTEMPTS_FREE =>
                            {
                                "The current password is wrong.".to_owned()
                            }
                            other => failure_message(&other),
                        });
                    (session, outcome)
                })
            }));
        })
    };

    let unlock_with_passkey = {
        let run = run.clone();
        Callback::from(move |()| {
            run(
                "Waiting for your passkey…",
                Box::new(move |vault, shared, state| {
                    Box::pin(async move {
                        let outcome = async {
                            let requests = vault
                                .passkey_requests()
                                .await
                                .map_err(|failure| failure_message(&failure))?;
                            if requests.is_empty() {
                                return Err("No passkey unlocks this wallet yet.".to_owned());
                            }
                            let asked: Vec<(Vec<u8>, [u8; 32])> = requests
                                .into_iter()
                                .map(|request| (request.credential_id, request.prf_salt))
                                .collect();
                            let answer = crate::webauthn::assert(&asked).await?;
                            vault
                                .unlock_with_passkey(&answer.credential_id, &answer.prf_output)
                                .await
                                .map_err(|failure| failure_message(&failure))
                        }
                        .await;
                        match outcome {
                            Ok(session) => {
                                let view = unlocked(&session);
                                let session_skipped = session.skipped;
                                *shared.session.borrow_mut() = Some(session);
                                shared.last_activity_ms.set(now_ms());
                                let message = match session_skipped {
                                    0 => "Wallet unlocked with your passkey.".to_owned(),
                                    skipped => format!(
                                        "Wallet unlocked with your passkey. {skipped} damaged record(s) could not be read and were skipped."
                                    ),
                                };
                                state.dispatch(WalletAction::ShowWithMessage(view, message));
                            }
                            Err(message) => state.dispatch(WalletAction::Failed(message)),
                        }
                    })
                }),
            );
        })
    };

    // The authenticator is asked first, with the session left in place
    // (the wallet stays usable while the shopper answers it); only then is
    // the new passkey written, in one short change of the session.
    let add_passkey = {
        let (with_session, shared, state) = (with_session.clone(), shared.clone(), state.clone());
        Callback::from(move |()| {
            let enrolled = shared.session.borrow().as_ref().map(Session::passkey_ids);
            let Some(enrolled) = enrolled else {
                state.dispatch(WalletAction::Failed("Unlock the wallet first.".to_owned()));
                return;
            };
            if enrolled.len() >= VAULT_PASSKEYS_MAX {
                state.dispatch(WalletAction::Failed(failure_message(
                    &VaultFailure::PasskeyLimit,
                )));
                return;
            }
            let (with_session, state) = (with_session.clone(), state.clone());
            spawn_local(async move {
                let created = match crate::webauthn::create(&enrolled).await {
                    Ok(created) => created,
                    Err(message) => {
                        state.dispatch(WalletAction::Failed(message));
                        return;
                    }
                };
                with_session(Box::new(move |vault, mut session| {
                    Box::pin(async move {
                        let outcome = vault
                            .add_passkey(
                                &mut session,
                                &created.credential_id,
                                created.prf_salt,
                                &created.prf_output,
                            )
                            .await
                            .map(|()| "Passkey added: it unlocks this wallet too.".to_owned())
                            .map_err(|failure| failure_message(&failure));
                        (session, outcome)
                    })
                }));
            });
        })
    };

    let remove_passkeys = {
        let with_session = with_session.clone();
        Callback::from(move |password: String| {
            with_session(Box::new(move |vault, mut session| {
                Box::pin(async move {
                    let outcome = vault
                        .remove_passkeys(&mut session, &password, KdfParams::DEFAULT, now_ms() as u64)
                        .await
                        .map(|()| {
                            "Passkeys removed: none unlocks this wallet now, and the wallet's key was replaced. Add back the ones you still have.".to_owned()
                        })
                        .map_err(|failure| match failure {
                            VaultFailure::WrongPassword { failures }
                                if failures < crate::vault::UNLOCK_ATTEMPTS_FREE =>
                            {
                                "The password is wrong; the passkeys were not removed.".to_owned()
                            }
                            other => failure_message(&other),
                        });
                    (session, outcome)
                })
            }));
        })
    };

    let card_passkey_enrolled = {
        let with_session = with_session.clone();
        Callback::from(move |(card_id, credential_id): (String, Vec<u8>)| {
            with_session(Box::new(move |vault, mut session| {
                Box::pin(async move {
                    let outcome = vault
                        .set_card_passkey(&mut session, &card_id, &credential_id)
                        .await
                        .map(|()| {
                            "This card's payments are confirmed with your passkey from now on."
                                .to_owned()
                        })
                        .map_err(|failure| failure_message(&failure));
                    (session, outcome)
                })
            }));
        })
    };

    let remove_card = Callback::from(move |id: String| {
        with_session(Box::new(move |vault, mut session| {
            Box::pin(async move {
                let outcome = vault
                    .remove_card(&mut session, &id)
                    .await
                    .map(|()| "Card removed.".to_owned())
                    .map_err(|failure| failure_message(&failure));
                (session, outcome)
            })
        }));
    });

    // Whether this page can use passkeys does not change while it lives:
    // asked of the browser once, not on every render.
    let passkeys_unavailable = *use_memo((), |()| crate::webauthn::unavailable());
    VaultHandle {
        orders: OrderKeeper {
            shared: shared.clone(),
            state: state.clone(),
        },
        sealer: Sealer(shared),
        state,
        create,
        unlock,
        lock,
        add_card,
        remove_card,
        change_password,
        unlock_with_passkey,
        add_passkey,
        remove_passkeys,
        passkeys_unavailable,
        card_passkey_enrolled,
    }
}
