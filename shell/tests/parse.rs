//! Parser tables: source text -> a compact rendering of the syntax tree,
//! and syntax errors with their positions.

use shell::ast::*;
use shell::parser::Parser;
use shell::{ParseError, ParseErrorKind};

fn word(w: &Word) -> String {
    w.parts.iter().map(part).collect()
}

fn part(p: &WordPart) -> String {
    match p {
        WordPart::Literal(s) => s.clone(),
        WordPart::Quoted(s) => format!("q({s})"),
        WordPart::DoubleQuoted(inner) => format!("dq({})", inner.iter().map(part).collect::<String>()),
        WordPart::Param(p) => {
            let name = match &p.name {
                ParamName::Var(v) => v.clone(),
                ParamName::Positional(n) => n.to_string(),
                ParamName::Special(c) => c.to_string(),
            };
            match &p.op {
                ParamOp::Plain => format!("${name}"),
                ParamOp::Length => format!("${{#{name}}}"),
                ParamOp::Default(c, w) => format!("${{{name}{}-{}}}", if *c { ":" } else { "" }, word(w)),
                ParamOp::Assign(c, w) => format!("${{{name}{}={}}}", if *c { ":" } else { "" }, word(w)),
                ParamOp::Alternative(c, w) => format!("${{{name}{}+{}}}", if *c { ":" } else { "" }, word(w)),
                ParamOp::Error(c, w) => format!("${{{name}{}?{}}}", if *c { ":" } else { "" }, word(w)),
                ParamOp::TrimPrefix(l, w) => format!("${{{name}{}{}}}", if *l { "##" } else { "#" }, word(w)),
                ParamOp::TrimSuffix(l, w) => format!("${{{name}{}{}}}", if *l { "%%" } else { "%" }, word(w)),
            }
        }
        WordPart::CommandSub(l) => format!("$({})", list(l)),
        WordPart::Arith(w) => format!("$(({}))", word(w)),
    }
}

fn redir(r: &Redirect) -> String {
    let op = match r.kind {
        RedirKind::Input => "<",
        RedirKind::Output => ">",
        RedirKind::Append => ">>",
        RedirKind::ReadWrite => "<>",
        RedirKind::DupInput => "<&",
        RedirKind::DupOutput => ">&",
        RedirKind::OutputBoth => "&>",
        RedirKind::HereDoc => "<<",
    };
    format!("{}{op}{}", r.fd(), word(&r.target))
}

fn command(c: &Command) -> String {
    match c {
        Command::Simple(s) => {
            let mut parts: Vec<String> =
                s.assignments.iter().map(|a| format!("{}={}", a.name, word(&a.value))).collect();
            parts.extend(s.words.iter().map(word));
            parts.extend(s.redirects.iter().map(redir));
            format!("({})", parts.join(" "))
        }
        Command::Compound(c, redirs) => {
            let body = match &**c {
                Compound::Group(l) => format!("{{{}}}", list(l)),
                Compound::Subshell(l) => format!("sub[{}]", list(l)),
                Compound::If { branches, otherwise } => {
                    let mut s: Vec<String> =
                        branches.iter().map(|(c, b)| format!("if[{}]then[{}]", list(c), list(b))).collect();
                    if let Some(o) = otherwise {
                        s.push(format!("else[{}]", list(o)));
                    }
                    s.join("")
                }
                Compound::Loop { until, cond, body } => {
                    format!("{}[{}]do[{}]", if *until { "until" } else { "while" }, list(cond), list(body))
                }
                Compound::For { var, words, body } => match words {
                    Some(w) => {
                        format!("for {var} in[{}]do[{}]", w.iter().map(word).collect::<Vec<_>>().join(" "), list(body))
                    }
                    None => format!("for {var} do[{}]", list(body)),
                },
                Compound::Case { word: w, arms } => {
                    let arms: Vec<String> = arms
                        .iter()
                        .map(|a| {
                            format!(
                                "{}=>[{}]",
                                a.patterns.iter().map(word).collect::<Vec<_>>().join("|"),
                                list(&a.body)
                            )
                        })
                        .collect();
                    format!("case {} {}", word(w), arms.join(" "))
                }
            };
            let r: Vec<String> = redirs.iter().map(redir).collect();
            if r.is_empty() { body } else { format!("{body} {}", r.join(" ")) }
        }
        Command::FunctionDef(name, body) => format!("fn {name} {}", command(body)),
    }
}

fn list(l: &List) -> String {
    l.items
        .iter()
        .map(|i| {
            let mut s = pipeline(&i.and_or.first);
            for (c, p) in &i.and_or.rest {
                s.push_str(match c {
                    Connector::And => " && ",
                    Connector::Or => " || ",
                });
                s.push_str(&pipeline(p));
            }
            if i.background {
                s.push_str(" &");
            }
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn pipeline(p: &Pipeline) -> String {
    let s = p.commands.iter().map(command).collect::<Vec<_>>().join(" | ");
    if p.negated { format!("!{s}") } else { s }
}

fn parse(src: &str) -> String {
    match Parser::parse(src) {
        Ok(l) => list(&l),
        Err(e) => panic!("{src:?}: {e}"),
    }
}

fn error(src: &str) -> (String, (usize, usize), bool) {
    match Parser::parse(src) {
        Ok(l) => panic!("{src:?} parsed: {}", list(&l)),
        Err(e) => (e.to_string(), e.line_col(src), e.is_incomplete()),
    }
}

#[test]
fn simple_commands_and_lists() {
    let table = [
        ("echo hello world", "(echo hello world)"),
        ("  echo   a\tb  ", "(echo a b)"),
        ("a; b", "(a); (b)"),
        ("a;b;", "(a); (b)"),
        ("a & b", "(a) &; (b)"),
        ("a && b || c", "(a) && (b) || (c)"),
        ("a |b| c", "(a) | (b) | (c)"),
        ("! a | b", "!(a) | (b)"),
        ("a &&\n\n b", "(a) && (b)"),
        ("a |\n b", "(a) | (b)"),
        ("a\nb\n\nc", "(a); (b); (c)"),
        ("echo a # comment\necho b", "(echo a); (echo b)"),
        ("echo a#b", "(echo a#b)"),
        ("X=1 Y=2 cmd X=3", "(X=1 Y=2 cmd X=3)"),
        ("X= cmd", "(X= cmd)"),
        ("X=1", "(X=1)"),
        ("1X=2 cmd", "(1X=2 cmd)"),
        ("echo if then fi", "(echo if then fi)"),
        ("echo a\\\nb", "(echo ab)"),
        ("", ""),
        ("\n\n", ""),
    ];
    for (src, want) in table {
        assert_eq!(parse(src), want, "{src:?}");
    }
}

#[test]
fn quoting() {
    let table = [
        ("echo 'a b'", "(echo q(a b))"),
        ("echo \"a b\"", "(echo dq(q(a b)))"),
        ("echo a\\ b", "(echo aq( )b)"),
        ("echo 'it'\\''s'", "(echo q(it')q(s))"),
        ("echo \"a\\\"b\"", "(echo dq(q(a\"b)))"),
        ("echo \"\\a\\$x\\\\\"", "(echo dq(q(\\a$x\\)))"),
        ("echo '$x \"y\"'", "(echo q($x \"y\"))"),
        ("echo \"$x\"y", "(echo dq($x)y)"),
        ("echo \"${x}\"'$y'$z", "(echo dq($x)q($y)$z)"),
        ("echo ''", "(echo q())"),
        ("echo \"\"", "(echo dq())"),
        ("echo a'b'\"c\"d", "(echo aq(b)dq(q(c))d)"),
        ("echo \"a'b\"", "(echo dq(q(a'b)))"),
        ("echo \\'", "(echo q('))"),
        ("echo \\\\", "(echo q(\\))"),
        ("echo \"line1\nline2\"", "(echo dq(q(line1\nline2)))"),
        ("echo $ \"$\" a$", "(echo $ dq(q($)) a$)"),
        ("echo é'ü'", "(echo éq(ü))"),
        ("echo \\*.rs", "(echo q(*).rs)"),
    ];
    for (src, want) in table {
        assert_eq!(parse(src), want, "{src:?}");
    }
}

#[test]
fn expansions() {
    let table = [
        ("echo $HOME $1 $? $$ $! $# $@ $* $- $0", "(echo $HOME $1 $? $$ $! $# $@ $* $- $0)"),
        ("echo $10", "(echo $10)"),
        ("echo ${10}", "(echo $10)"),
        ("echo ${x:-def} ${x-d} ${x:=v} ${x+a} ${x:?msg}", "(echo ${x:-def} ${x-d} ${x:=v} ${x+a} ${x:?msg})"),
        ("echo ${#x} ${#}", "(echo ${#x} $#)"),
        ("echo ${x#*/} ${x##*/} ${x%.*} ${x%%.*}", "(echo ${x#*/} ${x##*/} ${x%.*} ${x%%.*})"),
        ("echo ${x:-a b}", "(echo ${x:-a b})"),
        ("echo \"${x:-a b}\"", "(echo dq(${x:-q(a b)}))"),
        ("echo ${x:-'q'}", "(echo ${x:-q(q)})"),
        ("echo ${x:-${y:-z}}", "(echo ${x:-${y:-z}})"),
        ("echo $(echo a; echo b)", "(echo $((echo a); (echo b)))"),
        ("echo \"$(echo \"in\")\"", "(echo dq($((echo dq(q(in))))))"),
        ("echo `echo a`", "(echo $((echo a)))"),
        ("echo $(echo $(echo deep))", "(echo $((echo $((echo deep)))))"),
        ("echo $(case x in x) echo y;; esac)", "(echo $(case x x=>[(echo y)]))"),
        ("echo $((1 + 2 * $x))", "(echo $((q(1 + 2 * )$x)))"),
        ("echo $((  (1+2) ))", "(echo $((q(  (1+2) ))))"),
        ("x=$(ls)", "(x=$((ls)))"),
        ("echo ~ ~/a a~", "(echo ~ ~/a a~)"),
    ];
    for (src, want) in table {
        assert_eq!(parse(src), want, "{src:?}");
    }
}

#[test]
fn redirections() {
    let table = [
        ("cat <in >out", "(cat 0<in 1>out)"),
        ("cmd >>log 2>err", "(cmd 1>>log 2>err)"),
        ("cmd 2>&1 >f", "(cmd 2>&1 1>f)"),
        ("cmd >f 2>&1", "(cmd 1>f 2>&1)"),
        ("cmd 3>&- 4<&0 5<>rw", "(cmd 3>&- 4<&0 5<>rw)"),
        ("cmd &>all", "(cmd 1&>all)"),
        ("cmd >|f", "(cmd 1>f)"),
        (">f", "(1>f)"),
        ("<in cmd arg", "(cmd arg 0<in)"),
        ("echo 2 >f", "(echo 2 1>f)"),
        ("echo a2>f", "(echo a2 1>f)"),
        ("cmd 12>f", "(cmd 12>f)"),
        ("{ a; b; } >out 2>&1", "{(a); (b)} 1>out 2>&1"),
        ("cmd > \"$f\"", "(cmd 1>dq($f))"),
    ];
    for (src, want) in table {
        assert_eq!(parse(src), want, "{src:?}");
    }
}

#[test]
fn here_documents() {
    assert_eq!(parse("cat <<EOF\nhello $x\nEOF\necho after"), "(cat 0<<dq(q(hello )$xq(\n))); (echo after)");
    assert_eq!(parse("cat <<'EOF'\nhello $x\nEOF"), "(cat 0<<q(hello $x\n))");
    assert_eq!(parse("cat <<-EOF\n\t\tindented\n\tEOF\n"), "(cat 0<<dq(q(indented\n)))");
    assert_eq!(parse("cat <<A <<B\na\nA\nb\nB\necho x"), "(cat 0<<dq(q(a\n)) 0<<dq(q(b\n))); (echo x)");
    assert_eq!(parse("cat <<E | wc\nline\nE\n"), "(cat 0<<dq(q(line\n))) | (wc)");
    assert_eq!(parse("cat <<E\nE"), "(cat 0<<dq())");
}

#[test]
fn compound_commands() {
    let table = [
        ("if a; then b; fi", "if[(a)]then[(b)]"),
        ("if a\nthen\n b\nelif c; then d; else e; fi", "if[(a)]then[(b)]if[(c)]then[(d)]else[(e)]"),
        ("while a; do b; done", "while[(a)]do[(b)]"),
        ("until a; do b; c; done", "until[(a)]do[(b); (c)]"),
        ("for i in a b c; do echo $i; done", "for i in[a b c]do[(echo $i)]"),
        ("for i\ndo echo $i; done", "for i do[(echo $i)]"),
        ("for i; do x; done", "for i do[(x)]"),
        ("for i in; do x; done", "for i in[]do[(x)]"),
        ("{ a; b; }", "{(a); (b)}"),
        ("{ a; } && { b; }", "{(a)} && {(b)}"),
        ("(a; b) | c", "sub[(a); (b)] | (c)"),
        ("((a))", "sub[sub[(a)]]"),
        ("case $x in a|b) echo ab;; (c) echo c;; *) ;; esac", "case $x a|b=>[(echo ab)] c=>[(echo c)] *=>[]"),
        ("case x in\n a)\n  echo a\n  ;;\nesac", "case x a=>[(echo a)]"),
        ("case x in a) echo a; esac", "case x a=>[(echo a)]"),
        ("f() { echo f; }", "fn f {(echo f)}"),
        ("f () { echo f; }", "fn f {(echo f)}"),
        ("f()\n{\n echo f\n}", "fn f {(echo f)}"),
        ("f() (echo sub)", "fn f sub[(echo sub)]"),
        ("if a; then if b; then c; fi; fi", "if[(a)]then[if[(b)]then[(c)]]"),
        ("while a; do b; done > out &", "while[(a)]do[(b)] 1>out &"),
        ("! { a; }", "!{(a)}"),
    ];
    for (src, want) in table {
        assert_eq!(parse(src), want, "{src:?}");
    }
}

#[test]
fn item_text_is_kept_for_jobs() {
    let l = Parser::parse("sleep 5 &  echo  done ; a&&b &").unwrap();
    let texts: Vec<&str> = l.items.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(texts, ["sleep 5", "echo  done", "a&&b"]);
}

#[test]
fn syntax_errors_with_positions() {
    let table: &[(&str, &str, (usize, usize))] = &[
        ("then", "syntax error: unexpected 'then'", (1, 1)),
        ("echo a; then b", "syntax error: unexpected 'then'", (1, 9)),
        ("if true; then\n  fi", "syntax error: unexpected 'fi'", (2, 3)),
        ("if then fi", "syntax error: unexpected 'then'", (1, 4)),
        ("echo ;;", "syntax error: unexpected ';;'", (1, 6)),
        ("| a", "syntax error: unexpected '|'", (1, 1)),
        ("a || || b", "syntax error: unexpected '||'", (1, 6)),
        ("a ; ; b", "syntax error: unexpected ';'", (1, 5)),
        ("echo )", "syntax error: unexpected ')'", (1, 6)),
        ("echo a (b)", "syntax error: unexpected '('", (1, 8)),
        ("(a) b", "syntax error: unexpected 'b'", (1, 5)),
        ("{ }", "syntax error: unexpected '}'", (1, 3)),
        ("cat > ;", "syntax error: unexpected ';'", (1, 7)),
        ("for 1 in a; do b; done", "syntax error: unexpected '1'", (1, 5)),
        ("while a; done", "syntax error: unexpected 'done'", (1, 10)),
        ("echo ${x!y}", "syntax error: bad substitution '${x!y}'", (1, 6)),
        ("echo ${}", "syntax error: bad substitution '${}'", (1, 6)),
        ("echo $((1 + ) ))", "syntax error: unexpected ')'", (1, 13)),
        ("1() { a; }", "syntax error: bad function name in '1()'", (1, 1)),
        ("f() echo", "syntax error: function body must be a compound command", (1, 1)),
    ];
    for (src, msg, pos) in table {
        let (m, p, incomplete) = error(src);
        assert_eq!((m.as_str(), p), (*msg, *pos), "{src:?}");
        assert!(!incomplete, "{src:?} is not incomplete");
    }
}

#[test]
fn incomplete_input_asks_for_more() {
    let table: &[(&str, &str)] = &[
        ("echo 'abc", "syntax error: unterminated single quote"),
        ("echo \"abc", "syntax error: unterminated double quote"),
        ("echo $(ls", "syntax error: unterminated '$('"),
        ("echo ${x", "syntax error: unterminated '${'"),
        ("echo `ls", "syntax error: unterminated backquote"),
        ("if true; then echo", "syntax error: unexpected end of input (expecting 'fi')"),
        ("if true", "syntax error: unexpected end of input (expecting 'then')"),
        ("while true; do x", "syntax error: unexpected end of input (expecting 'done')"),
        ("a &&", "syntax error: unexpected end of input (expecting a command)"),
        ("a |", "syntax error: unexpected end of input (expecting a command)"),
        ("{ a;", "syntax error: unexpected end of input (expecting '}')"),
        ("(a", "syntax error: unexpected end of input (expecting ')')"),
        ("echo a \\\n", "syntax error: unterminated line continuation"),
        ("cat <<EOF\nabc", "syntax error: unterminated here-document"),
        ("cat <<EOF", "syntax error: unterminated here-document"),
        ("case x in", "syntax error: unexpected end of input (expecting 'esac')"),
    ];
    for (src, msg) in table {
        let (m, _, incomplete) = error(src);
        assert_eq!(m, *msg, "{src:?}");
        assert!(incomplete, "{src:?} should be incomplete");
    }
}

#[test]
fn error_positions_count_characters() {
    let e = Parser::parse("echo é; then").unwrap_err();
    assert_eq!(e.line_col("echo é; then"), (1, 9));
    let e = ParseError { offset: 0, kind: ParseErrorKind::Unexpected("x".into()) };
    assert_eq!(e.line_col(""), (1, 1));
}

#[test]
fn next_command_goes_on_after_errors() {
    let src = "echo a\nfi\necho b\nif x; then\n y\nfi\n";
    let mut p = Parser::new(src);
    let mut out = Vec::new();
    while let Some(r) = p.next_command() {
        out.push(match r {
            Ok(l) => list(&l),
            Err(e) => e.to_string(),
        });
    }
    assert_eq!(out, ["(echo a)", "syntax error: unexpected 'fi'", "(echo b)", "if[(x)]then[(y)]"]);
}

#[test]
fn nesting_is_bounded() {
    let deep = "(".repeat(10_000);
    assert!(Parser::parse(&deep).is_err());
    let deep = "$(".repeat(10_000);
    assert!(Parser::parse(&format!("echo {deep}")).is_err());
    let deep = "${x:-".repeat(10_000);
    assert!(Parser::parse(&format!("echo {deep}")).is_err());
    let deep = "\"$(".repeat(5_000);
    assert!(Parser::parse(&format!("echo {deep}")).is_err());
    let deep = "if a; then ".repeat(5_000);
    assert!(Parser::parse(&deep).is_err());
}
