//! The catalog search box: submits the trimmed text, or `None` when empty.

use shared::wire::CATALOG_QUERY_CHARS_MAX;
use web_sys::{HtmlInputElement, SubmitEvent};
use yew::{Callback, Html, Properties, component, html, use_node_ref};

#[derive(Properties, PartialEq)]
pub struct SearchFormProps {
    pub on_search: Callback<Option<String>>,
    /// The text already searched for, shown in the box.
    #[prop_or_default]
    pub initial: Option<String>,
}

#[component]
pub fn SearchForm(props: &SearchFormProps) -> Html {
    let input = use_node_ref();
    let on_submit = {
        let input = input.clone();
        let on_search = props.on_search.clone();
        move |event: SubmitEvent| {
            event.prevent_default();
            let text = input
                .cast::<HtmlInputElement>()
                .map(|element| element.value())
                .unwrap_or_default();
            on_search.emit(search_text(&text));
        }
    };
    html! {
        <form class="search" role="search" onsubmit={on_submit}>
            <label for="catalog-search">{ "Search the catalog" }</label>
            <input id="catalog-search" name="q" type="search" ref={input}
                value={props.initial.clone().unwrap_or_default()}
                maxlength={CATALOG_QUERY_CHARS_MAX.to_string()}
                placeholder="tea, kettle, mug…" autocomplete="off" />
            <button type="submit">{ "Search" }</button>
        </form>
    }
}

/// The text to search for: trimmed, and `None` when nothing is left.
pub fn search_text(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}
