//! Here-documents: finding the delimiter and reading the body that
//! follows the line of the `<<` operator.

use alloc::string::String;

use crate::ast::{Word, WordPart};
use crate::error::{ParseError, ParseErrorKind};
use crate::lexer::{Lexer, Mode};

impl Lexer<'_> {
    /// Read the body of a here-document whose operator and delimiter were
    /// just lexed: it starts after the current line (or after the bodies of
    /// earlier here-documents on the same line) and ends at a line equal to
    /// `delim`. The newline ending the current line will skip it.
    pub fn read_heredoc(&mut self, delim: &str, quoted: bool, strip_tabs: bool) -> Result<Word, ParseError> {
        let (nl, body_start) = match self.heredoc_skip {
            Some((nl, resume)) if nl >= self.pos => (nl, resume),
            _ => match self.src[self.pos..].find('\n') {
                Some(i) => (self.pos + i, self.pos + i + 1),
                None => return Err(self.err(self.pos, ParseErrorKind::Unterminated("here-document"))),
            },
        };
        let mut body = String::new();
        let mut at = body_start;
        let end = loop {
            if at >= self.src.len() {
                return Err(self.err(self.pos, ParseErrorKind::Unterminated("here-document")));
            }
            let line_end = self.src[at..].find('\n').map_or(self.src.len(), |i| at + i);
            let mut line = &self.src[at..line_end];
            if strip_tabs {
                line = line.trim_start_matches('\t');
            }
            let next = (line_end + 1).min(self.src.len());
            if line == delim {
                break next;
            }
            body.push_str(line);
            body.push('\n');
            at = next;
        };
        self.heredoc_skip = Some((nl, end));
        if quoted {
            return Ok(Word { parts: alloc::vec![WordPart::Quoted(body)] });
        }
        let mut inner = Lexer::new(&body, 0, self.depth);
        let parts = inner.lex_parts(Mode::HereDoc).map_err(|mut e| {
            e.offset = body_start;
            e
        })?;
        Ok(Word { parts: alloc::vec![WordPart::DoubleQuoted(parts)] })
    }
}

/// The delimiter of a here-document and whether any of it was quoted (then
/// the body is taken literally).
pub(crate) fn delimiter(word: &Word) -> (String, bool) {
    let mut text = String::new();
    let mut quoted = false;
    fn walk(parts: &[WordPart], text: &mut String, quoted: &mut bool) {
        for p in parts {
            match p {
                WordPart::Literal(s) => text.push_str(s),
                WordPart::Quoted(s) => {
                    *quoted = true;
                    text.push_str(s);
                }
                WordPart::DoubleQuoted(inner) => {
                    *quoted = true;
                    walk(inner, text, quoted);
                }
                WordPart::Param(_) => text.push('$'),
                WordPart::CommandSub(_) | WordPart::Arith(_) => text.push_str("$(...)"),
            }
        }
    }
    walk(&word.parts, &mut text, &mut quoted);
    (text, quoted)
}

/// `text` as the body of an unquoted here-document: `$` expansions,
/// `` `...` `` and `\` before `$`, `` ` ``, `\` are active, everything
/// else is literal. Used for the prompts (`PS1`, `PS4`) and `$ENV`.
/// `None` if the text does not parse (an unterminated `$(`).
pub fn expansion_text(text: &str) -> Option<Word> {
    let mut lexer = Lexer::new(text, 0, 0);
    let parts = lexer.lex_parts(Mode::HereDoc).ok()?;
    Some(Word { parts: alloc::vec![WordPart::DoubleQuoted(parts)] })
}
