//! `use_shell_wallet`: the wallet as the shop's first module (`shell.rs`)
//! knows it, from IndexedDB alone, through `vault`: whether one exists,
//! and whether it unlocks with a passkey. The wallet's module reads the
//! same again when it takes over.

use std::rc::Rc;

use yew::platform::spawn_local;
use yew::{Reducible, UseReducerHandle, hook, use_effect_with, use_reducer};

use crate::vault::{DATABASE_NAME, Vault};

/// The wallet as the shell knows it, from IndexedDB alone.
#[derive(Clone, PartialEq)]
pub enum ShellWallet {
    Opening,
    Empty,
    Locked {
        passkeys: bool,
    },
    Unavailable(String),
    /// The wallet's module is on its way.
    ModuleLoading,
    /// The wallet's module did not load or start.
    ModuleFailed,
}

/// What happens to the shell's wallet.
pub enum WalletEvent {
    /// What IndexedDB says; dropped once the shopper asked for the wallet.
    Known(ShellWallet),
    ModuleLoading,
    ModuleFailed,
}

impl Reducible for ShellWallet {
    type Action = WalletEvent;

    fn reduce(self: Rc<Self>, event: WalletEvent) -> Rc<Self> {
        match event {
            WalletEvent::Known(known) if *self == ShellWallet::Opening => Rc::new(known),
            WalletEvent::Known(_) => self,
            WalletEvent::ModuleLoading => Rc::new(ShellWallet::ModuleLoading),
            WalletEvent::ModuleFailed => Rc::new(ShellWallet::ModuleFailed),
        }
    }
}

#[hook]
pub fn use_shell_wallet() -> UseReducerHandle<ShellWallet> {
    let wallet = use_reducer(|| ShellWallet::Opening);
    {
        let wallet = wallet.clone();
        use_effect_with((), move |()| {
            spawn_local(async move {
                let known = match Vault::open(DATABASE_NAME).await {
                    Ok(vault) => match vault.status().await {
                        Ok(status) if status.exists => ShellWallet::Locked {
                            passkeys: status.passkeys > 0
                                && crate::webauthn::unavailable().is_none(),
                        },
                        Ok(_) => ShellWallet::Empty,
                        Err(failure) => ShellWallet::Unavailable(failure.to_string()),
                    },
                    Err(failure) => ShellWallet::Unavailable(failure.to_string()),
                };
                wallet.dispatch(WalletEvent::Known(known));
            });
        });
    }
    wallet
}
