//! Native tests of the wallet's pure parts: reducers, validation, formatting.

use shared::money::Currency;
use shared::wire::Product;

use crate::components::search_form::search_text;
use crate::format;
use crate::state::{CatalogAction, CatalogState, CatalogView};

pub fn product(sku: &str, unit_price: &str, stock: u32) -> Product {
    Product {
        sku: sku.to_owned(),
        name: format!("product {sku}"),
        description: String::new(),
        unit_price: unit_price.to_owned(),
        currency: Currency::Usd,
        stock,
    }
}

#[test]
fn a_late_answer_never_overwrites_a_newer_search() {
    // Goal: typing fast cannot show stale results. Method: answer request 1
    // after request 2 was made and check that it is ignored.
    let state = CatalogState::default()
        .apply(CatalogAction::Requested { request: 1 })
        .apply(CatalogAction::Requested { request: 2 });
    let stale = state.apply(CatalogAction::Loaded {
        request: 1,
        products: vec![product("OLD", "1.00", 1)],
    });
    assert_eq!(stale.view, CatalogView::Loading);
    let fresh = stale.apply(CatalogAction::Loaded {
        request: 2,
        products: vec![product("NEW", "1.00", 1)],
    });
    assert_eq!(
        fresh.view,
        CatalogView::Ready(vec![product("NEW", "1.00", 1)])
    );
    let late_failure = fresh.apply(CatalogAction::Failed {
        request: 1,
        message: "late".to_owned(),
    });
    assert_eq!(late_failure, fresh);
}

#[test]
fn failures_of_the_newest_request_are_shown() {
    let state = CatalogState::default()
        .apply(CatalogAction::Requested { request: 1 })
        .apply(CatalogAction::Failed {
            request: 1,
            message: "the store could not be reached".to_owned(),
        });
    assert_eq!(
        state.view,
        CatalogView::Failed("the store could not be reached".to_owned())
    );
}

#[test]
fn search_text_is_trimmed_and_empty_means_everything() {
    assert_eq!(search_text("  tea "), Some("tea".to_owned()));
    assert_eq!(search_text("   "), None);
    assert_eq!(search_text(""), None);
}

#[test]
fn prices_and_stock_are_shown_exactly() {
    assert_eq!(format::unit_price(&product("A", "14.50", 1)), "USD 14.50");
    assert_eq!(
        format::unit_price(&product("A", "1e3", 1)),
        "price unavailable"
    );
    assert_eq!(format::stock(0), "out of stock");
    assert_eq!(format::stock(12), "12 in stock");
}

mod vault_rules {
    //! The wallet's pure rules: unlock delays, grouping, strength hints,
    //! the add-card form's checks and the wallet panel's reducer.

    use shared::card::YearMonth;

    use crate::hooks::use_vault::{NewCard, parse_new_card};
    use crate::state::{
        Strength, WalletAction, WalletState, WalletView, card_number_feedback,
        format_expiry_typing, group_card_number,
    };
    use crate::vault::{UNLOCK_DELAY_MS_MAX, unlock_delay_ms};

    #[test]
    fn unlock_delays_grow_after_a_few_failures_and_are_capped() {
        assert_eq!([0, 1, 2].map(unlock_delay_ms), [0, 0, 0]);
        assert_eq!(
            [3, 4, 5, 6].map(unlock_delay_ms),
            [1_000, 2_000, 4_000, 8_000]
        );
        assert_eq!(unlock_delay_ms(40), UNLOCK_DELAY_MS_MAX);
        assert_eq!(unlock_delay_ms(u32::MAX), UNLOCK_DELAY_MS_MAX);
    }

    #[test]
    fn an_expiry_gets_its_slash_as_it_is_typed() {
        for (typed, shown) in [
            ("1", "1"),
            ("12", "12"),
            ("123", "12/3"),
            ("1230", "12/30"),
            ("122030", "12/2030"),
            ("12/30", "12/30"),
            ("12 / 30", "12 / 30"),
            ("12/", "12/"),
            ("", ""),
        ] {
            assert_eq!(format_expiry_typing(typed), shown, "{typed}");
        }
    }

    #[test]
    fn card_numbers_are_grouped_as_typed() {
        assert_eq!(group_card_number("4242424242424242"), "4242 4242 4242 4242");
        assert_eq!(group_card_number("4242-42"), "4242 42");
        assert_eq!(group_card_number("378282246310005"), "3782 822463 10005");
        assert_eq!(group_card_number("4x2"), "42");
        assert_eq!(
            group_card_number(&"4".repeat(25)).replace(' ', "").len(),
            19
        );
        assert_eq!(card_number_feedback(""), "");
        assert_eq!(
            card_number_feedback("4242 4242 4242 4242"),
            "Visa: number looks right"
        );
        assert_eq!(
            card_number_feedback("4242 4242 4242 4241"),
            "Visa: check the digits (checksum fails)"
        );
        assert_eq!(card_number_feedback("37"), "American Express");
    }

    #[test]
    fn expiry_feedback_is_live() {
        use crate::state::expiry_feedback;
        let today = YearMonth {
            year: 2026,
            month: 11,
        };
        assert_eq!(expiry_feedback("", today), "");
        assert_eq!(expiry_feedback("08/29", today), "valid through 08/2029");
        assert_eq!(expiry_feedback("10/26", today), "this card has expired");
        assert_eq!(expiry_feedback("11/26", today), "valid through 11/2026");
        assert_eq!(expiry_feedback("8/", today), "use MM/YY, like 08/29");
    }

    #[test]
    fn password_strength_hints() {
        assert_eq!(Strength::of("short"), Strength::TooShort);
        assert_eq!(Strength::of("abcdefghij"), Strength::Weak);
        assert_eq!(Strength::of("abcdefghijkl"), Strength::Fair);
        assert_eq!(Strength::of("Abcdefgh1jk!"), Strength::Strong);
        assert_eq!(
            Strength::of("a long and plain passphrase"),
            Strength::Strong
        );
    }

    #[test]
    fn the_add_card_form_names_the_wrong_field() {
        let today = YearMonth {
            year: 2026,
            month: 11,
        };
        let card = |number: &str, expiry: &str, holder: &str| NewCard {
            number: number.to_owned(),
            expiry: expiry.to_owned(),
            holder_name: holder.to_owned(),
            nickname: String::new(),
        };
        assert!(parse_new_card(&card("4242 4242 4242 4242", "12/30", "Ada"), today).is_ok());
        for (bad, field) in [
            (card("4242 4242 4242 4241", "12/30", "Ada"), "Card number"),
            (card("4242 4242 4242 4242", "13/30", "Ada"), "Expiry"),
            (card("4242 4242 4242 4242", "10/26", "Ada"), "Expiry"),
            (card("4242 4242 4242 4242", "12/30", " "), "Cardholder name"),
        ] {
            let message = parse_new_card(&bad, today).unwrap_err();
            assert!(message.starts_with(field), "{message}");
            assert!(
                !message.contains("4242"),
                "a message repeats card digits: {message}"
            );
        }
    }

    #[test]
    fn a_failure_returns_to_where_the_work_began_and_lock_hides_cards() {
        let unlocked = WalletView::Unlocked {
            cards: vec![],
            orders: vec![],
            passkeys: vec![],
            skipped: 0,
        };
        let state = WalletState::default()
            .apply(WalletAction::Show(WalletView::Locked))
            .apply(WalletAction::Show(WalletView::Working("Unlocking…")))
            .apply(WalletAction::Failed(
                "Wrong password. Try again.".to_owned(),
            ));
        assert_eq!(state.view, WalletView::Locked);
        assert_eq!(state.message.as_deref(), Some("Wrong password. Try again."));
        let state = state
            .apply(WalletAction::Show(unlocked.clone()))
            .apply(WalletAction::Lock);
        assert_eq!(state.view, WalletView::Locked);
        let created = WalletState::default()
            .apply(WalletAction::Show(WalletView::Empty))
            .apply(WalletAction::Show(WalletView::Working(
                "Creating your wallet…",
            )))
            .apply(WalletAction::Failed("storage".to_owned()));
        assert_eq!(created.view, WalletView::Empty);
    }
}

#[test]
fn what_the_shell_hands_over_arrives_whole() {
    // Goal: the wallet's module takes over the page with the shell's cart,
    // search, products and request exactly. Method: a cart of two
    // products, a quote request, through the JSON the page carries and back.
    use crate::checkout_state::{Cart, CartAction};
    use crate::handover::{HandedLine, Handover, WalletRequest};
    use crate::hooks::use_checkout::ShippingForm;
    let cart = Cart::default()
        .apply(CartAction::Add(product("TEA", "14.50", 3)))
        .apply(CartAction::Add(product("TEA", "14.50", 3)))
        .apply(CartAction::Add(product("MUG", "9.05", 1)));
    let form = ShippingForm {
        name: "Ada Lovelace".into(),
        address_lines: vec!["12 St James's Square".into()],
        city: "London".into(),
        ..ShippingForm::default()
    };
    let handover = Handover {
        search: Some("tea".into()),
        products: Some(vec![product("TEA", "14.50", 3)]),
        cart: cart.lines.iter().map(HandedLine::from).collect(),
        quote: Some(form.clone()),
        wallet: Some(WalletRequest::Unlock("tea for two".into())),
    };
    let json = serde_json::to_string(&handover).unwrap();
    let back: Handover = serde_json::from_str(&json).unwrap();
    assert!(back == handover);
    let lines: Vec<_> = back.cart.iter().filter_map(HandedLine::line).collect();
    assert_eq!(Cart::of(lines), cart);
    assert_eq!(back.quote, Some(form));
    // A line whose price does not read back is dropped, not guessed.
    let broken = json.replace("\"9.05\"", "\"nine\"");
    let back: Handover = serde_json::from_str(&broken).unwrap();
    assert_eq!(back.cart.iter().filter_map(HandedLine::line).count(), 1);
}

#[test]
fn a_request_from_the_shell_is_carried_out_only_where_it_applies() {
    // Goal: the password typed in the shell creates or unlocks only the
    // wallet it was typed for, and is forgotten otherwise. Method: every
    // request against every kind of view.
    use crate::handover::{RequestStep, WalletRequest, request_step};
    use crate::state::WalletView;
    let create = WalletRequest::Create("pw".into());
    let unlock = WalletRequest::Unlock("pw".into());
    let passkey = WalletRequest::UnlockWithPasskey;
    let unlocked = WalletView::Unlocked {
        cards: vec![],
        orders: vec![],
        passkeys: vec![],
        skipped: 0,
    };
    let views = [
        WalletView::Opening,
        WalletView::Empty,
        WalletView::Locked,
        WalletView::Working("Unlocking…"),
        unlocked,
        WalletView::Unavailable("blocked".into()),
    ];
    use RequestStep::{Act, Forget, Wait};
    let expected = [
        (&create, [Wait, Act, Forget, Forget, Forget, Forget]),
        (&unlock, [Wait, Forget, Act, Forget, Forget, Forget]),
        (&passkey, [Wait, Forget, Act, Forget, Forget, Forget]),
    ];
    for (request, steps) in expected {
        for (view, step) in views.iter().zip(steps) {
            assert_eq!(request_step(request, view), step, "{view:?}");
        }
    }
}

#[test]
fn the_order_link_counts_items() {
    use crate::components::shop_page::order_link_text;
    assert_eq!(order_link_text(0), "Your order");
    assert_eq!(order_link_text(1), "Your order: 1 item");
    assert_eq!(order_link_text(3), "Your order: 3 items");
}

#[test]
fn a_browser_without_simd_stays_told_so_whatever_is_asked() {
    // Goal: once the shell knows the browser cannot run the wallet's module,
    // nothing replaces that with "loading" or "check the connection".
    // Method: the shell's wallet reducer, from each state, given each event.
    use std::rc::Rc;
    use yew::Reducible;

    use crate::hooks::use_shell_wallet::{ShellWallet, WalletEvent};

    let unsupported =
        Rc::new(ShellWallet::Opening).reduce(WalletEvent::Known(ShellWallet::Unsupported));
    assert!(*unsupported == ShellWallet::Unsupported);
    for event in [
        WalletEvent::ModuleLoading,
        WalletEvent::ModuleFailed,
        WalletEvent::Known(ShellWallet::Empty),
    ] {
        assert!(*unsupported.clone().reduce(event) == ShellWallet::Unsupported);
    }
    // A browser that has SIMD still shows the module loading.
    let loading = Rc::new(ShellWallet::Empty).reduce(WalletEvent::ModuleLoading);
    assert!(*loading == ShellWallet::ModuleLoading);
}
