//! `use_catalog`: loads the catalog for a search text whenever it changes.

use yew::platform::spawn_local;
use yew::{UseReducerHandle, hook, use_effect_with, use_mut_ref, use_reducer};

use crate::api;
use crate::state::{CatalogAction, CatalogState};

#[hook]
pub fn use_catalog(search: Option<String>) -> UseReducerHandle<CatalogState> {
    let state = use_reducer(CatalogState::default);
    let request_counter = use_mut_ref(|| 0_u64);
    {
        let state = state.clone();
        use_effect_with(search, move |search| {
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
