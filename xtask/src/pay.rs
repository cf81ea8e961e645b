//! `cargo xtask pay CARD [--order ORDER_ID]`: pays an order on the running
//! worker (`cargo xtask run`) with a demo card, sealed here exactly as the
//! wallet seals it, so the payment path can be tried from a shell. Without
//! `--order` it first asks the store for a quote (one rooibos, standard
//! delivery) and keeps the answer under `target/xtask-orders/`, so a
//! declined order can be retried with another card. On approval it checks
//! the receipt's two signatures (the store's and the gateway's).

use std::path::PathBuf;

use serde_json::{Value, json};
use shared::card::{CardNumber, Expiry};
use shared::encoding::Bytes;
use shared::issuer::derive_cvc;
use shared::keyset::{
    AUTHORIZATION_KEY_PURPOSE, GATEWAY_ROOT_KEY_ID, GatewayKeySet, certified_keys, current_key,
};
use shared::money::Money;
use shared::rand_core::UnwrapErr;
use shared::receipt::Receipt;
use shared::seal::{CardDetails, PaymentBinding, PaymentPlaintext, seal_payment};
use shared::sign::{KeyId, PublicKey, Signed};
use shared::wire::{PayAnswer, PayDeclined, QuoteAnswer, StoreKeys};

use crate::command::{Failure, target_dir};
use crate::secrets::dev_var;

/// Where the worker listens unless `EWALLET_URL` says otherwise.
const DEFAULT_URL: &str = "http://127.0.0.1:8787";

fn base_url() -> String {
    std::env::var("EWALLET_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

fn failure(context: &str) -> impl Fn(ureq::Error) -> Failure + '_ {
    move |error| {
        Failure::new(format!(
            "{context}: {error} (is `cargo xtask run` serving?)"
        ))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn hex32(name: &str) -> Result<[u8; 32], Failure> {
    let hex = dev_var(name)?;
    let bytes: Option<Vec<u8>> = (0..32)
        .map(|index| u8::from_str_radix(hex.get(index * 2..index * 2 + 2)?, 16).ok())
        .collect();
    bytes
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| Failure::new(format!("{name} in .dev.vars is not 64 hex digits")))
}

fn orders_dir() -> PathBuf {
    target_dir().join("xtask-orders")
}

fn new_order() -> Result<QuoteAnswer, Failure> {
    let order = json!({
        "lines": [{"sku": "TEA-ROOIBOS-100", "quantity": 1}],
        "delivery": "standard",
        "consignee": {"name": "Ada Lovelace", "address_lines": ["12 St James's Square"],
                      "city": "London", "postal_code": "SW1Y 4JH", "country": "GB",
                      "phone": "+44 20 7946 0000"}
    });
    let mut answer = agent()
        .post(&format!("{}/api/quotes", base_url()))
        .send_json(&order)
        .map_err(failure("quote"))?;
    let text = answer
        .body_mut()
        .read_to_string()
        .map_err(failure("quote"))?;
    if answer.status() != 201 {
        return Err(Failure::new(format!(
            "quote answered {}: {text}",
            answer.status()
        )));
    }
    let quote: QuoteAnswer = serde_json::from_str(&text)?;
    std::fs::create_dir_all(orders_dir())?;
    std::fs::write(orders_dir().join(format!("{}.json", quote.order_id)), &text)?;
    let body = &quote.quote.body;
    println!(
        "order {}: {} x {} + {} delivery + {} tax = {} {} (quote expires in 15 minutes)",
        quote.order_id,
        body.lines.first().map_or(0, |line| line.quantity),
        body.lines.first().map_or("?", |line| line.name.as_str()),
        body.delivery.cost,
        body.tax,
        body.total,
        body.currency.code()
    );
    Ok(quote)
}

fn saved_order(order_id: &str) -> Result<QuoteAnswer, Failure> {
    let valid = order_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let path = orders_dir().join(format!("{order_id}.json"));
    if !valid || !path.exists() {
        return Err(Failure::new(format!(
            "no saved order {order_id}; run `cargo xtask pay CARD` without --order to make one"
        )));
    }
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

fn demo_card(name: &str) -> Result<CardDetails, Failure> {
    let demo = shared::demo_cards::by_name(name).ok_or_else(|| {
        let names: Vec<&str> = shared::demo_cards::DEMO_CARDS
            .iter()
            .map(|card| card.name)
            .collect();
        Failure::new(format!("no demo card {name}; one of: {}", names.join(", ")))
    })?;
    let number = CardNumber::parse(demo.number).map_err(|error| Failure::new(error.to_string()))?;
    let expiry = Expiry::new(demo.expiry_month, demo.expiry_year)
        .map_err(|error| Failure::new(error.to_string()))?;
    let cvc = derive_cvc(&hex32("ISSUER_CVC_KEY")?, &number, &expiry);
    Ok(CardDetails {
        number,
        expiry,
        cvc,
        holder_name: demo.cardholder.to_owned(),
    })
}

fn get_json<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, Failure> {
    let mut answer = agent()
        .get(&format!("{}{path}", base_url()))
        .call()
        .map_err(failure(path))?;
    let text = answer.body_mut().read_to_string().map_err(failure(path))?;
    Ok(serde_json::from_str(&text)?)
}

fn random_id(prefix: &str) -> Result<String, Failure> {
    let mut bytes = [0_u8; 12];
    getrandom::fill(&mut bytes).map_err(|_| Failure::new("no randomness"))?;
    Ok(format!(
        "{prefix}{}",
        shared::encoding::to_base64url(&bytes)
    ))
}

pub fn pay(card_name: &str, order_id: Option<&str>) -> Result<(), Failure> {
    let card = demo_card(card_name)?;
    let order = match order_id {
        Some(order_id) => saved_order(order_id)?,
        None => new_order()?,
    };
    let gateway_root = PublicKey {
        kid: KeyId::new(GATEWAY_ROOT_KEY_ID).map_err(|error| Failure::new(error.to_string()))?,
        key: Bytes(hex32("GATEWAY_ROOT_PUBLIC_KEY")?),
    };
    let key_set: Signed<GatewayKeySet> = get_json("/api/gateway/v1/keys")?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|error| Failure::new(error.to_string()))?
        .as_millis() as u64;
    let key = current_key(&key_set, &gateway_root, now_ms, order.payment_id.as_bytes())
        .map_err(|error| Failure::new(format!("the gateway's key set: {error}")))?;
    let authorization_keys =
        certified_keys(&key_set, &gateway_root, AUTHORIZATION_KEY_PURPOSE, now_ms)
            .map_err(|error| Failure::new(format!("the gateway's key set: {error}")))?;
    let quote = &order.quote.body;
    let amount = Money::parse_non_negative(&quote.total, quote.currency)
        .map_err(|error| Failure::new(error.to_string()))?;
    let plaintext = PaymentPlaintext {
        card,
        binding: PaymentBinding {
            payment_id: order.payment_id.clone(),
            merchant_id: quote.merchant_id.clone(),
            amount,
            quote_digest: quote.digest(),
            attempt_id: random_id("att_")?,
            created_at_ms: now_ms,
        },
        passkey: None,
    };
    let sealed = seal_payment(&plaintext, &key, &mut UnwrapErr(getrandom::SysRng))
        .map_err(|error| Failure::new(error.to_string()))?;
    println!(
        "paying order {} with {} ({} ending {}), sealed to gateway key {}",
        order.order_id,
        card_name,
        plaintext.card.number.brand().name(),
        plaintext.card.number.last_four(),
        key.kid
    );
    let path = format!("/api/orders/{}/pay", order.order_id);
    let mut answer = agent()
        .post(&format!("{}{path}", base_url()))
        .header("x-client-secret", &order.client_secret)
        .header("idempotency-key", &random_id("pay_")?)
        .send_json(json!({ "sealed": sealed }))
        .map_err(failure(&path))?;
    let status = answer.status().as_u16();
    let text = answer.body_mut().read_to_string().map_err(failure(&path))?;
    match status {
        200 => {
            let paid: PayAnswer = serde_json::from_str(&text)?;
            let receipt = paid
                .receipt
                .ok_or_else(|| Failure::new("paid without a receipt"))?;
            let store_keys: StoreKeys = get_json("/api/store/keys")?;
            let body: &Receipt = receipt
                .verify_with_any(&store_keys.keys)
                .map_err(|error| Failure::new(format!("store signature: {error}")))?;
            let authorization = body
                .authorization
                .verify_with_any(&authorization_keys)
                .map_err(|error| Failure::new(format!("gateway signature: {error}")))?;
            println!(
                "approved: {} {} paid, authorization {} on {} ending {}; receipt {}\n\
                 the store's and the gateway's signatures both verify; order status {:?}",
                body.total,
                body.currency.code(),
                authorization.authorization_code,
                authorization.brand.name(),
                authorization.last_four,
                body.receipt_id,
                paid.order.status
            );
        }
        402 => {
            let declined: PayDeclined = serde_json::from_str(&text)?;
            println!("declined: {} ({})", declined.code, declined.message);
            if declined.another_card_may_help {
                println!(
                    "the order stays open; try another card:\n  cargo xtask pay visa-pays --order {}",
                    order.order_id
                );
            }
        }
        _ => {
            let refusal: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            println!("refused ({status}): {refusal}");
        }
    }
    Ok(())
}
