//! The text of a reply: deterministic, derived from the prompt alone, so tests can compute the
//! exact token sequence.
//!
//! The prompt is split into words (on Unicode whitespace). Each word is one token, except that
//! a word longer than [`MAX_TOKEN_CHARS`] characters is cut into pieces of that many
//! characters (the last one shorter), each its own token. A reply of N tokens cycles through
//! this list from the start as often as needed. A token that starts a word begins with one
//! space, except the reply's very first token; so the tokens joined without separator read as
//! the prompt's words joined by single spaces, repeated.

/// Longest token, in characters (`char`s).
pub const MAX_TOKEN_CHARS: usize = 16;

/// The prompt used when a request gives none.
pub const DEFAULT_PROMPT: &str = "Hello from the companion server. This reply streams one \
                                  word at a time and resumes where it broke off.";

/// A prompt's tokens, cycled.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// Each piece and whether it starts a word.
    pieces: Vec<(String, bool)>,
}

impl Tokens {
    /// The tokens of `prompt`; `None` if it has no word.
    pub fn new(prompt: &str) -> Option<Tokens> {
        let mut pieces = Vec::new();
        for word in prompt.split_whitespace() {
            let chars: Vec<char> = word.chars().collect();
            for (i, piece) in chars.chunks(MAX_TOKEN_CHARS).enumerate() {
                pieces.push((piece.iter().collect(), i == 0));
            }
        }
        (!pieces.is_empty()).then_some(Tokens { pieces })
    }

    /// The text of token `index` (1-based) of a reply.
    pub fn text(&self, index: u64) -> String {
        let n = self.pieces.len() as u64;
        let at = usize::try_from((index.max(1) - 1) % n).unwrap_or(0);
        let (piece, starts_word) = &self.pieces[at];
        if *starts_word && index > 1 {
            format!(" {piece}")
        } else {
            piece.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(prompt: &str, n: u64) -> Vec<String> {
        let t = Tokens::new(prompt).unwrap();
        (1..=n).map(|i| t.text(i)).collect()
    }

    #[test]
    fn words_cycle_with_spaces_between() {
        assert_eq!(
            reply("  alpha\tbeta\n gamma ", 7),
            ["alpha", " beta", " gamma", " alpha", " beta", " gamma", " alpha"]
        );
        assert_eq!(reply("one", 3), ["one", " one", " one"]);
        assert_eq!(reply("a b c", 5).concat(), "a b c a b");
    }

    #[test]
    fn long_words_are_cut_into_pieces() {
        let word = "abcdefghijklmnopqrstuvwxyz";
        assert_eq!(
            reply(&format!("x {word}"), 5),
            [
                "x",
                " abcdefghijklmnop",
                "qrstuvwxyz",
                " x",
                " abcdefghijklmnop"
            ]
        );
        // Characters, not bytes: no piece splits a character.
        let wide = "é".repeat(20);
        let got = reply(&wide, 2);
        assert_eq!(got, ["é".repeat(16), "é".repeat(4)]);
    }

    #[test]
    fn no_words_no_tokens() {
        assert!(Tokens::new("").is_none());
        assert!(Tokens::new(" \n\t ").is_none());
        assert!(Tokens::new(DEFAULT_PROMPT).is_some());
    }
}
