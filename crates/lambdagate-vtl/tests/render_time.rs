//! Render time of a typical 30-line request template (run with
//! `cargo test --release -p lambdagate-vtl --test render_time -- --ignored --nocapture`).
//! It prints the median; it asserts nothing about time.

use std::time::Instant;

use lambdagate_vtl::{Env, Object, Options, Template, Undefined, Value, Variables};

/// `$input` over a parsed body, as the gateway's does (path / json / params).
struct Input(serde_json::Value);

impl Env for Input {
    fn property(&self, _: &Object, name: &str) -> Option<Value> {
        (name == "body").then(|| Value::str(&self.0.to_string()))
    }

    fn method(&self, _: &Object, name: &str, args: &[Value]) -> Result<Option<Value>, String> {
        let key = args.first().map(Value::to_java_string).unwrap_or_default();
        let pointer = format!("/{}", key.trim_start_matches("$.").replace('.', "/"));
        let found = if key == "$" {
            Some(&self.0)
        } else {
            self.0.pointer(&pointer)
        };
        Ok(match name {
            "path" => found.map(Value::from_json),
            "json" => found.map(|v| Value::str(&v.to_string())),
            "params" => Some(Value::str("param-value")),
            _ => None,
        })
    }
}

const TEMPLATE: &str = r##"#set($body = $input.path('$'))
#set($items = $input.path('$.order.items'))
{
  "orderId": "$input.params('id')",
  "customer": {
    "name": "$body.customer.name",
    "email": "$body.customer.email.toLowerCase()",
    "vip": #if($body.customer.tier == "gold")true#{else}false#end
  },
  "items": [
#foreach($item in $items)
#set($total = $item.price * $item.qty)
    {
      "sku": "$item.sku",
      "quantity": $item.qty,
      "lineTotal": $total,
      "index": $foreach.index
    }#if($foreach.hasNext),#end
#end
  ],
  "itemCount": $items.size(),
  "note": "$body.note.replaceAll('"', '')",
  "raw": $input.json('$.order'),
  "source": "$context.identity.sourceIp",
  "stage": "$stageVariables.env",
  "tags": [#foreach($t in $body.tags)"$t"#if($foreach.hasNext),#end#end],
  "hasCoupon": #if($body.coupon && $body.coupon != "")true#{else}false#end,
  "requestTime": "$context.requestTime",
  "version": 1
}
"##;

#[test]
#[ignore = "prints a measurement"]
fn render_time_of_a_typical_request_template() {
    assert_eq!(TEMPLATE.lines().count(), 30);
    let body = serde_json::json!({
        "customer": {"name": "Ada", "email": "ADA@EXAMPLE.COM", "tier": "gold"},
        "order": {"items": [
            {"sku": "a-1", "qty": 2, "price": 10},
            {"sku": "b-2", "qty": 1, "price": 25},
            {"sku": "c-3", "qty": 5, "price": 3}
        ]},
        "note": "leave at \"door\"",
        "tags": ["x", "y"],
        "coupon": "SAVE"
    });
    let template = Template::parse(TEMPLATE).unwrap();
    let env = Input(body);
    let options = Options {
        undefined: Undefined::Empty,
        ..Options::default()
    };
    let mut samples = Vec::new();
    let mut out = String::new();
    for _ in 0..2000 {
        let start = Instant::now();
        let mut vars = Variables::new();
        vars.insert("input", Value::object(1, ""));
        vars.insert(
            "stageVariables",
            Value::map(vec![("env".into(), Value::str("dev"))]),
        );
        out = template.render(&mut vars, &env, &options).unwrap();
        samples.push(start.elapsed());
    }
    serde_json::from_str::<serde_json::Value>(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    samples.sort();
    println!(
        "30-line request template: median {:.1} µs, p99 {:.1} µs",
        samples[samples.len() / 2].as_secs_f64() * 1e6,
        samples[samples.len() * 99 / 100].as_secs_f64() * 1e6
    );
}
