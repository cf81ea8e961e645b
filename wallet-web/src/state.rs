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
