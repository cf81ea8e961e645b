//! `use_catalog`: loads the catalog for a search text whenever it changes.

use shared::wire::Product;
use yew::platform::spawn_local;
use yew::{UseReducerHandle, hook, use_effect_with, use_mut_ref, use_reducer};

use crate::api;
use crate::state::{CatalogAction, CatalogState, CatalogView};

/// `shown`: the products already on the page for the first `search` (the
/// shell's, when the wallet's module takes over), not fetched again.
#[hook]
pub fn use_catalog(
    search: Option<String>,
    shown: Option<&[Product]>,
) -> UseReducerHandle<CatalogState> {
    let reuse_shown = use_mut_ref(|| shown.is_some());
    // Copied once, on the first render only.
    let state = use_reducer(|| CatalogState {
        newest_request: 0,
        view: shown.map_or(CatalogView::Loading, |products| {
            CatalogView::Ready(products.to_vec())
        }),
    });
    let request_counter = use_mut_ref(|| 0_u64);
    {
        let state = state.clone();
        use_effect_with(search, move |search| {
            if std::mem::take(&mut *reuse_shown.borrow_mut()) {
                return;
            }
            let request = {
                let mut counter = request_counter.borrow_mut();
                *counter += 1;
                *counter
            };
            state.dispatch(CatalogAction::Requested { request });
            let search = search.clone();
            spawn_local(async move {
                let action = match api::fetch_catalog(search.as_deref()).await {
                    Ok(page) => CatalogAction::Loaded {
                        request,
                        products: page.products,
                    },
                    Err(failure) => CatalogAction::Failed {
                        request,
                        message: failure.message,
                    },
                };
                state.dispatch(action);
            });
        });
    }
    state
}
