//! Where the order ships (the consignee) and how fast. The store checks
//! every field and names the one that is wrong.

use web_sys::SubmitEvent;
use yew::{Callback, Html, Properties, component, html, use_node_ref};

use crate::components::input_value;
use crate::hooks::use_checkout::ShippingForm;

#[derive(Properties, PartialEq)]
pub struct ShippingFormProps {
    pub on_submit: Callback<ShippingForm>,
    /// No quote can be asked for (an empty cart, or one is on its way).
    pub disabled: bool,
    /// What the shopper typed before (in the shell, when the wallet's
    /// module took over).
    #[prop_or_default]
    pub initial: Option<ShippingForm>,
}

#[component]
pub fn ShippingFormView(props: &ShippingFormProps) -> Html {
    let fields = [
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
    ];
    let express = use_node_ref();
    let on_submit = {
        let (fields, express, on_submit) =
            (fields.clone(), express.clone(), props.on_submit.clone());
        move |event: SubmitEvent| {
            event.prevent_default();
            let [name, line_1, line_2, city, postal_code, country, phone] = &fields;
            let express = express
                .cast::<web_sys::HtmlInputElement>()
                .is_some_and(|input| input.checked());
            on_submit.emit(ShippingForm {
                name: input_value(name),
                address_lines: vec![input_value(line_1), input_value(line_2)],
                city: input_value(city),
                postal_code: input_value(postal_code),
                country: input_value(country),
                phone: input_value(phone),
                delivery: if express { "express" } else { "standard" }.to_owned(),
            });
        }
    };
    let [name, line_1, line_2, city, postal_code, country, phone] = fields;
    let typed = props.initial.clone().unwrap_or_default();
    let line = |index: usize| typed.address_lines.get(index).cloned().unwrap_or_default();
    let express_chosen = typed.delivery == "express";
    html! {
        <form class="vault-form shipping" onsubmit={on_submit} aria-labelledby="shipping-heading">
            <h3 id="shipping-heading">{ "Ship to" }</h3>
            <label for="ship-name">{ "Name" }</label>
            <input id="ship-name" autocomplete="shipping name" maxlength="80" required=true ref={name} value={typed.name.clone()} />
            <label for="ship-line-1">{ "Address" }</label>
            <input id="ship-line-1" autocomplete="shipping address-line1" maxlength="100" required=true ref={line_1} value={line(0)} />
            <label for="ship-line-2">{ "Address, second line (optional)" }</label>
            <input id="ship-line-2" autocomplete="shipping address-line2" maxlength="100" ref={line_2} value={line(1)} />
            <label for="ship-city">{ "City" }</label>
            <input id="ship-city" autocomplete="shipping address-level2" maxlength="80" required=true ref={city} value={typed.city.clone()} />
            <label for="ship-postal-code">{ "Postal code" }</label>
            <input id="ship-postal-code" autocomplete="shipping postal-code" maxlength="16" required=true ref={postal_code} value={typed.postal_code.clone()} />
            <label for="ship-country">{ "Country (two letters, like GB or US)" }</label>
            <input id="ship-country" autocomplete="shipping country" maxlength="2" required=true ref={country} value={typed.country.clone()} />
            <label for="ship-phone">{ "Phone" }</label>
            <input id="ship-phone" type="tel" autocomplete="shipping tel" maxlength="20" required=true ref={phone} value={typed.phone.clone()} />
            <fieldset class="delivery">
                <legend>{ "Delivery" }</legend>
                <label><input type="radio" name="delivery" value="standard" checked={!express_chosen} />{ " Standard (about 5 days)" }</label>
                <label><input type="radio" name="delivery" value="express" ref={express} checked={express_chosen} />{ " Express (about 2 days)" }</label>
            </fieldset>
            <button type="submit" disabled={props.disabled}>{ "Get the store's quote" }</button>
        </form>
    }
}
