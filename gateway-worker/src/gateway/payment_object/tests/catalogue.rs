//! The codes' one home (`shared`) and the OpenAPI catalogue agree.

use shared::decline::{DeclineCode, ShopperDeclineCode};
use shared::refusal::RefusalCode;

// The codes' one home and the OpenAPI catalogue agree.

#[test]
fn the_openapi_catalogue_lists_every_code_the_payment_path_answers() {
    let document: serde_json::Value =
        serde_json::from_str(include_str!("../../../../api/openapi.json")).unwrap();
    let catalogue = document["info"]["x-error-codes"].as_object().unwrap();
    let error_enum: Vec<&str> =
        document["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(serde_json::Value::as_str)
            .collect();
    for code in RefusalCode::ALL.iter().map(|code| code.code()) {
        assert!(catalogue.contains_key(code), "x-error-codes lacks {code}");
        assert!(error_enum.contains(&code), "ErrorBody.code lacks {code}");
    }
    let schemas = &document["components"]["schemas"];
    let strings = |value: &serde_json::Value| -> Vec<String> {
        value
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|code| code.as_str().map(str::to_owned))
            .collect()
    };
    let decline_enum =
        strings(&schemas["AttemptView"]["properties"]["decline_code"]["oneOf"][0]["enum"]);
    let declines: Vec<String> = DeclineCode::ALL
        .iter()
        .map(|code| code.code().to_owned())
        .collect();
    assert_eq!(decline_enum, declines, "AttemptView.decline_code");
    let shopper_enum = strings(&schemas["PayDeclined"]["properties"]["code"]["enum"]);
    let shopper: Vec<String> = ShopperDeclineCode::ALL
        .iter()
        .map(|code| code.code().to_owned())
        .collect();
    assert_eq!(shopper_enum, shopper, "PayDeclined.code");
    let confirm_enum = strings(&schemas["ConfirmAnswer"]["properties"]["code"]["oneOf"][0]["enum"]);
    assert_eq!(confirm_enum, shopper, "ConfirmAnswer.code");
    for code in &shopper {
        assert!(
            catalogue.contains_key(code.as_str()),
            "x-error-codes lacks {code}"
        );
    }
}
