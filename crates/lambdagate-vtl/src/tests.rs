//! The engine against Velocity's documented behaviour (Velocity 1.7 user guide and reference,
//! and API Gateway's mapping template reference for what API Gateway templates rely on).

use super::*;

fn render_with(source: &str, vars: &mut Variables, undefined: Undefined) -> String {
    let template = Template::parse(source).unwrap_or_else(|e| panic!("{source}: {e}"));
    let options = Options {
        undefined,
        ..Options::default()
    };
    template
        .render(vars, &NoEnv, &options)
        .unwrap_or_else(|e| panic!("{source}: {e}"))
}

fn render(source: &str) -> String {
    render_with(source, &mut Variables::new(), Undefined::Source)
}

#[test]
fn text_and_references() {
    assert_eq!(render("plain text"), "plain text");
    assert_eq!(render("#set($a = 'x')$a ${a} $!a $!{a}"), "x x x x");
    // Undefined references print as written unless quiet.
    assert_eq!(render("$nope ${nope} $!nope $!{nope}."), "$nope ${nope}  .");
    assert_eq!(
        render_with("[$nope.x]", &mut Variables::new(), Undefined::Empty),
        "[]"
    );
    // A `$` or `#` that starts nothing is text.
    assert_eq!(render("cost: $5 #fff # $ $.a"), "cost: $5 #fff # $ $.a");
    // A formal reference separates a name from the text after it.
    assert_eq!(render("#set($n = 'file')${n}name.txt"), "filename.txt");
    // A trailing dot is text.
    assert_eq!(render("#set($n = 'end')$n."), "end.");
}

#[test]
fn comments_and_escapes() {
    assert_eq!(render("a## comment\nb"), "ab");
    assert_eq!(render("a#* block\n comment *#b"), "ab");
    assert_eq!(render("#[[$not #if parsed]]#"), "$not #if parsed");
    assert_eq!(render("#set($e = 'v')\\$e \\\\$e"), "$e \\v");
    assert_eq!(render("\\#if(true)"), "#if(true)");
    assert!(Template::parse("#* open").is_err());
}

#[test]
fn set_and_whitespace() {
    // `#set` and block directives take their own line ending with them.
    assert_eq!(render("  #set($a = 1)\n$a"), "1");
    assert_eq!(render("#if(true)\nyes\n#end\nafter"), "yes\nafter");
    // Velocity 1.7: a null value leaves the variable unchanged.
    assert_eq!(render("#set($a = 1)#set($a = $nope)$a"), "1");
    assert_eq!(render("#{set}($b = 2)$b"), "2");
}

#[test]
fn conditionals() {
    let t = "#foreach($v in [1, 5, 10])#if($v < 3)small#elseif($v == 5)five#{else}big#end,#end";
    assert_eq!(render(t), "small,five,big,");
    assert_eq!(render("#if($nope)a#{else}b#{end}"), "b");
    assert_eq!(render("#if(!$nope && 'x')ok#end"), "ok");
    assert_eq!(render("#if(1 lt 2 and not false)ok#end"), "ok");
    assert_eq!(render("#if(2 ge 2 or false)ok#end"), "ok");
    // Any non-null value is true in Velocity 1.7, the empty string included.
    assert_eq!(render("#if('')t#else f#end"), "t");
    assert_eq!(render("#if($nope == $other)both null#end"), "both null");
    // Different types compare by their strings.
    assert_eq!(render("#if(1 == '1')same#end"), "same");
    assert_eq!(render("#if('a' != 'b')differ#end"), "differ");
    assert_eq!(render("#if($nope == '')eq#{else}ne#end"), "ne");
    // API Gateway's mode: null prints as nothing and equals the empty string.
    let empty = |t: &str| render_with(t, &mut Variables::new(), Undefined::Empty);
    assert_eq!(empty("#if($nope == '')eq#{else}ne#end"), "eq");
}

#[test]
fn foreach_state() {
    let t = "#foreach($x in ['a','b','c'])$x:$foreach.index:$foreach.count:$velocityCount#if($foreach.hasNext),#end#end";
    assert_eq!(render(t), "a:0:1:1,b:1:2:2,c:2:3:3");
    assert_eq!(
        render("#foreach($i in [1..5])#if($i == 3)#break#end$i#end"),
        "12"
    );
    assert_eq!(render("#foreach($i in [3..1])$i#end"), "321");
    // Iterating a map visits its values.
    assert_eq!(
        render("#set($m = {'a': 1, 'b': 2})#foreach($v in $m)$v#end"),
        "12"
    );
    // Nested loops restore the outer `$foreach`.
    assert_eq!(
        render("#foreach($a in [1,2])#foreach($b in [1])#end$foreach.index#end"),
        "01"
    );
    // The loop variable is restored afterwards.
    assert_eq!(
        render("#set($x = 'outer')#foreach($x in [1])#end$x"),
        "outer"
    );
    assert_eq!(render("#foreach($x in $nope)never#end"), "");
}

#[test]
fn stop_and_macros() {
    assert_eq!(render("a#stop b"), "a");
    let t = "#macro(greet $who $punct)Hello $who$punct#end#greet('you' '!') #greet('me', '.')";
    assert_eq!(render(t), "Hello you! Hello me.");
    // A call of a macro that does not exist is text.
    assert_eq!(render("#nomacro('x') #tag"), "#nomacro('x') #tag");
    // Macros recurse only so deep.
    let t = Template::parse("#macro(r)#r()#end#r()").unwrap();
    let e = t
        .render(&mut Variables::new(), &NoEnv, &Options::default())
        .unwrap_err();
    assert_eq!(e, RenderError::TooDeep(20));
}

#[test]
fn arithmetic() {
    assert_eq!(render("#set($a = 7 / 2)$a"), "3");
    assert_eq!(render("#set($a = 7.0 / 2)$a"), "3.5");
    assert_eq!(render("#set($a = -7 / 2)$a"), "-3");
    assert_eq!(render("#set($a = -7 % 3)$a"), "-1");
    assert_eq!(render("#set($a = 1 + 2 * 3)$a"), "7");
    assert_eq!(render("#set($a = (1 + 2) * 3)$a"), "9");
    assert_eq!(render("#set($a = 2.5 * 2)$a"), "5.0");
    // Division by zero gives null, so the reference prints as written.
    assert_eq!(render("#set($a = 1)#set($a = 1 / 0)$a"), "1");
    assert_eq!(render("#set($a = 'n=' + 1)$a"), "n=1");
    assert_eq!(
        render("#set($a = 9223372036854775807 + 1)$a"),
        "9.223372036854776E18"
    );
    assert_eq!(render("#set($a = -$nope)$!a"), "");
}

#[test]
fn strings() {
    assert_eq!(render("#set($n = 'x')#set($s = \"a $n b\")$s"), "a x b");
    assert_eq!(render("#set($s = 'a $n b')$s"), "a $n b");
    assert_eq!(render("#set($s = 'it''s')$s"), "it's");
    assert_eq!(render("#set($s = \"say \"\"hi\"\"\")$s"), "say \"hi\"");
    // Backslashes in literals stay as written (API Gateway's `replaceAll("\\'", "'")` idiom).
    assert_eq!(
        render(r#"#set($s = "it\'s")$s.replaceAll("\\'", "'")"#),
        "it's"
    );
    let s = "#set($s = ' Hello World ')";
    assert_eq!(render(&format!("{s}$s.trim().length()")), "11");
    assert_eq!(render(&format!("{s}$s.trim().substring(6)")), "World");
    assert_eq!(render(&format!("{s}$s.trim().substring(0, 5)")), "Hello");
    assert_eq!(
        render(&format!("{s}$s.toLowerCase()$s.toUpperCase()")),
        " hello world  HELLO WORLD "
    );
    assert_eq!(
        render(&format!(
            "{s}$s.indexOf('o') $s.lastIndexOf('o') $s.indexOf('z')"
        )),
        "5 8 -1"
    );
    assert_eq!(
        render(&format!(
            "{s}$s.contains('World') $s.startsWith(' H') $s.endsWith('x')"
        )),
        "true true false"
    );
    assert_eq!(render(&format!("{s}$s.replace('o', '0')")), " Hell0 W0rld ");
    assert_eq!(
        render("#set($s = 'a1b22c')$s.replaceAll('[0-9]+', '-') $s.replaceFirst('(\\d)', '<$1>')"),
        "a-b-c a<1>b22c"
    );
    assert_eq!(
        render("#set($s = 'abc')$s.matches('[a-c]+') $s.matches('b')"),
        "true false"
    );
    assert_eq!(
        render("#set($s = 'a,b,,c,,')#set($p = $s.split(','))$p.size() $p"),
        "4 [a, b, , c]"
    );
    assert_eq!(
        render("#set($s = 'x')$s.equals('x') $s.isEmpty() $s.empty $s.charAt(0)"),
        "true false false x"
    );
    // `length` is a method, not a property: `$s.length` has no value.
    assert_eq!(render("#set($s = 'x')$s.length"), "$s.length");
    // Java throws for an index out of range, which ends the render.
    let t = Template::parse("#set($s = 'x')$s.substring(5)").unwrap();
    assert!(matches!(
        t.render(&mut Variables::new(), &NoEnv, &Options::default()),
        Err(RenderError::Method(_))
    ));
}

#[test]
fn lists_and_maps() {
    assert_eq!(
        render("#set($l = [1, 'two', 3.0])$l $l.size() $l.get(1) $l[0] $l.contains(1)"),
        "[1, two, 3.0] 3 two 1 true"
    );
    assert_eq!(
        render("#set($l = [])#set($ok = $l.add('x'))$l $l.isEmpty()"),
        "[x] false"
    );
    // `add` answers true, which prints.
    assert_eq!(render("#set($l = [])$l.add(1)"), "true");
    let m = "#set($m = {'a': 1, \"b\": 'two'})";
    assert_eq!(
        render(&format!("{m}$m $m.a $m.get('b') $m['a'] $m.size()")),
        "{a=1, b=two} 1 two 1 2"
    );
    assert_eq!(
        render(&format!(
            "{m}$m.keySet() $m.values() $m.containsKey('a') $m.containsKey('z')"
        )),
        "[a, b] [1, two] true false"
    );
    // `put` answers the previous value: null the first time, so the reference prints as written.
    assert_eq!(
        render(&format!("{m}$m.put('c', 3) $m.put('c', 4) $m.c")),
        "$m.put('c', 3) 3 4"
    );
    assert_eq!(
        render(&format!("{m}#set($m.a = 'set')#set($m['d'] = 'idx')$m")),
        "{a=set, b=two, d=idx}"
    );
    // A map's properties are its keys: `$m.size` is the entry "size", absent here.
    assert_eq!(render(&format!("{m}$!m.size")), "");
    // Lists and maps are shared, as Java references are.
    assert_eq!(
        render("#set($a = {})#set($b = $a)#set($x = $b.put('k', 'v'))$a"),
        "{k=v}"
    );
    assert_eq!(render("#set($m = {'k': [1, {'n': 'v'}]})$m.k[1].n"), "v");
    assert_eq!(
        render("#set($l = [1,2,3])#set($r = $l.remove(0))$r $l"),
        "1 [2, 3]"
    );
    assert_eq!(
        render("#set($m = {'a': 1})#foreach($e in $m.entrySet())$e.key=$e.value#end"),
        "a=1"
    );
    // Velocity has no method calls on literals.
    assert!(Template::parse("#set($p = 'a'.length())").is_err());
}

#[test]
fn json_values_print_as_java_and_json() {
    let json: serde_json::Value =
        serde_json::from_str(r#"{"foo":"bar","list":[{"a":1}],"n":null}"#).unwrap();
    let mut vars = Variables::new();
    vars.insert("doc", Value::from_json(&json));
    assert_eq!(
        render_with(
            "$doc|$doc.list|$doc.list.get(0)|$doc.foo",
            &mut vars,
            Undefined::Source
        ),
        r#"{foo=bar, list=[{"a":1}], n=null}|[{"a":1}]|{a=1}|bar"#
    );
}

#[test]
fn parse_errors_have_positions() {
    let e = Template::parse("line one\n  #if($a\nmore").unwrap_err();
    // Reported where the `)` was expected.
    assert_eq!((e.line, e.column), (3, 1), "{e}");
    let e = Template::parse("#foreach($a in [1])").unwrap_err();
    assert_eq!((e.line, e.column), (1, 1), "{e}");
    let e = Template::parse("ok\n#end").unwrap_err();
    assert_eq!(e.line, 2);
    let e = Template::parse("#set($a = 'open)").unwrap_err();
    assert_eq!((e.line, e.column), (1, 11), "{e}");
    assert!(Template::parse(&"#if(true)".repeat(500)).is_err());
    assert!(
        Template::parse(&format!(
            "#set($a = {}1{})",
            "(".repeat(500),
            ")".repeat(500)
        ))
        .is_err()
    );
}

#[test]
fn limits() {
    let options = Options {
        limits: Limits {
            foreach: 3,
            output_bytes: 10,
            ..Limits::default()
        },
        ..Options::default()
    };
    let loop4 = Template::parse("#foreach($i in [1..4])#end").unwrap();
    assert_eq!(
        loop4.render(&mut Variables::new(), &NoEnv, &options),
        Err(RenderError::TooManyIterations(3))
    );
    let big = Template::parse("#foreach($i in [1..3])abcd#end").unwrap();
    assert_eq!(
        big.render(&mut Variables::new(), &NoEnv, &options),
        Err(RenderError::OutputTooLarge(10))
    );
    // Work grows without bound through nested loops and strings; the step budget stops it.
    let nested = Template::parse(
        "#foreach($a in [1..999])#foreach($b in [1..999])#foreach($c in [1..999])#end#end#end",
    )
    .unwrap();
    let small = Options {
        limits: Limits {
            steps: 100_000,
            ..Limits::default()
        },
        ..Options::default()
    };
    assert_eq!(
        nested.render(&mut Variables::new(), &NoEnv, &small),
        Err(RenderError::TooMuchWork(100_000))
    );
    let range = Template::parse("#set($r = [1..100000000])").unwrap();
    assert!(
        range
            .render(&mut Variables::new(), &NoEnv, &Options::default())
            .is_err()
    );
}

struct Obj;

impl Env for Obj {
    fn property(&self, object: &Object, name: &str) -> Option<Value> {
        match (object.path.as_str(), name) {
            ("", "inner") => Some(Value::object(1, "inner")),
            ("inner", "leaf") => Some(Value::str("leaf value")),
            _ => None,
        }
    }

    fn method(&self, _: &Object, name: &str, args: &[Value]) -> Result<Option<Value>, String> {
        match name {
            "echo" => Ok(args.first().cloned()),
            "fail" => Err("boom".into()),
            _ => Ok(None),
        }
    }
}

#[test]
fn host_objects() {
    let mut vars = Variables::new();
    vars.insert("o", Value::object(1, ""));
    let t =
        Template::parse("$o.inner.leaf $o.echo('hi') $o.echo($o.inner.leaf.length()) $!o.missing")
            .unwrap();
    assert_eq!(
        t.render(&mut vars, &Obj, &Options::default()).unwrap(),
        "leaf value hi 10 "
    );
    let t = Template::parse("$o.fail()").unwrap();
    assert_eq!(
        t.render(&mut vars, &Obj, &Options::default()),
        Err(RenderError::Method("boom".into()))
    );
}

mod fuzz {
    use proptest::prelude::*;

    use super::*;

    const PIECES: &[&str] = &[
        "$",
        "#",
        "!",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "'",
        "\"",
        "\\",
        ".",
        ",",
        " ",
        "\n",
        "=",
        "..",
        "$a",
        "$a.b",
        "${a}",
        "$!a",
        "#set(",
        "#if(",
        "#elseif(",
        "#else",
        "#end",
        "#foreach($i in ",
        "#break",
        "#stop",
        "#macro(m $x)",
        "#m(",
        "##",
        "#*",
        "*#",
        "#[[",
        "]]#",
        "1",
        "-2",
        "3.5",
        "'s'",
        "\"$a\"",
        "true",
        "&&",
        "||",
        "==",
        "<",
        "+",
        "*",
        "/",
        "%",
        "not ",
        "$a.size()",
        "$a.get(0)",
        "$a.substring(1)",
        "$a.replaceAll('a*', '$0')",
        "[1..3]",
        "{'k': 1}",
        "#{if}",
        "$foreach.index",
        "$velocityCount",
        "x",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Whatever the text, parsing and rendering end without a panic.
        #[test]
        fn parse_and_render_never_panic(pieces in proptest::collection::vec(0..PIECES.len(), 0..40), raw in ".{0,40}") {
            let mut source: String = pieces.iter().map(|&i| PIECES[i]).collect();
            source.push_str(&raw);
            if let Ok(t) = Template::parse(&source) {
                let mut vars = Variables::new();
                vars.insert("a", Value::str("abc"));
                let options = Options { limits: Limits { steps: 100_000, ..Limits::default() }, ..Options::default() };
                let _ = t.render(&mut vars, &NoEnv, &options);
            }
        }
    }
}
