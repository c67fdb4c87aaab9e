// Failure groups (core/failure_group.h): one pass over the message that,
// at each token boundary, tries the placeholders in a fixed order (quoted
// string, e-mail, UUID, IPv4, hex, number) and otherwise copies the byte.
#include "core/failure_group.h"

#include <openssl/evp.h>

#include <cstddef>

namespace steward {

namespace {

constexpr size_t kMaxNormalized = 300;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
bool IsWord(char c) { return IsAlnum(c) || c == '_'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsLocalPart(char c) {
  return IsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

class Normalizer {
 public:
  explicit Normalizer(std::string_view in) : s_(in) {}

  std::string Run() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (IsSpace(c)) {
        while (i_ < s_.size() && IsSpace(s_[i_])) ++i_;
        pending_space_ = true;
        continue;
      }
      if (!(Quoted() || Email() || Uuid() || Ip() || Hex() || Number())) Emit(std::string_view(&s_[i_++], 1));
    }
    return Finish();
  }

 private:
  char At(size_t k) const { return k < s_.size() ? s_[k] : '\0'; }
  // The byte before the current position ('\0' at the start).
  char Prev() const { return i_ == 0 ? '\0' : s_[i_ - 1]; }
  // A token may not continue into a word character.
  bool EndsToken(size_t k) const { return !IsWord(At(k)); }

  void Emit(std::string_view text) {
    if (pending_space_ && !out_.empty()) out_ += ' ';
    pending_space_ = false;
    out_ += text;
  }

  // '...' or "..." opened at a boundary (so the apostrophe in "don't" is
  // not a quote) and closed on the same line.
  bool Quoted() {
    const char q = s_[i_];
    if ((q != '\'' && q != '"') || IsAlnum(Prev())) return false;
    for (size_t k = i_ + 1; k < s_.size() && s_[k] != '\n'; ++k) {
      if (s_[k] == '\\') {
        ++k;
        continue;
      }
      if (s_[k] == q) {
        Emit(q == '\'' ? "'<str>'" : "\"<str>\"");
        i_ = k + 1;
        return true;
      }
    }
    return false;
  }

  // local@domain.tld
  bool Email() {
    if (IsLocalPart(Prev()) || !IsLocalPart(s_[i_])) return false;
    size_t k = i_;
    while (k < s_.size() && IsLocalPart(s_[k])) ++k;
    if (At(k) != '@' || k == i_) return false;
    size_t d = k + 1;
    int labels = 0;
    size_t end = d;
    while (true) {
      size_t l = d;
      while (l < s_.size() && (IsAlnum(s_[l]) || s_[l] == '-')) ++l;
      if (l == d) break;
      ++labels;
      end = l;
      if (At(l) != '.' || !IsAlnum(At(l + 1))) break;
      d = l + 1;
    }
    if (labels < 2) return false;
    Emit("<email>");
    i_ = end;
    return true;
  }

  // 8-4-4-4-12 hex digits.
  bool Uuid() {
    if (IsWord(Prev())) return false;
    static constexpr int kGroups[] = {8, 4, 4, 4, 12};
    size_t k = i_;
    for (int g = 0; g < 5; ++g) {
      if (g > 0) {
        if (At(k) != '-') return false;
        ++k;
      }
      for (int n = 0; n < kGroups[g]; ++n, ++k) {
        if (!IsHex(At(k))) return false;
      }
    }
    if (!EndsToken(k)) return false;
    Emit("<uuid>");
    i_ = k;
    return true;
  }

  // Digits of a decimal run starting at k (0 if none).
  size_t DigitsAt(size_t k) const {
    size_t n = 0;
    while (IsDigit(At(k + n))) ++n;
    return n;
  }

  // a.b.c.d with 1-3 digits each, and an optional :port.
  bool Ip() {
    if (IsWord(Prev()) || Prev() == '.') return false;
    size_t k = i_;
    for (int part = 0; part < 4; ++part) {
      if (part > 0) {
        if (At(k) != '.') return false;
        ++k;
      }
      const size_t n = DigitsAt(k);
      if (n < 1 || n > 3) return false;
      k += n;
    }
    if (At(k) == ':' && DigitsAt(k + 1) >= 1 && DigitsAt(k + 1) <= 5) k += 1 + DigitsAt(k + 1);
    if (!EndsToken(k) || (At(k) == '.' && IsDigit(At(k + 1)))) return false;
    Emit("<ip>");
    i_ = k;
    return true;
  }

  // 8+ hex digits: 0x-prefixed, or bare with at least one digit and one
  // letter (all digits is a number; all letters is a word like "deadbeef"
  // or "effaced" more often than an id).
  bool Hex() {
    if (IsWord(Prev())) return false;
    size_t k = i_;
    const bool prefixed = s_[k] == '0' && (At(k + 1) == 'x' || At(k + 1) == 'X');
    if (prefixed) k += 2;
    const size_t start = k;
    bool digit = false, letter = false;
    while (IsHex(At(k))) {
      (IsDigit(At(k)) ? digit : letter) = true;
      ++k;
    }
    if (k - start < 8 || !EndsToken(k) || (!prefixed && !(digit && letter))) return false;
    Emit("<hex>");
    i_ = k;
    return true;
  }

  // Integers and decimals with an optional sign: "-12", "3.5", "+7". A
  // unit may follow ("250ms" -> "<n>ms"); a number inside a word ("v2",
  // "user4211") is part of the word.
  bool Number() {
    if (IsWord(Prev())) return false;
    size_t k = i_;
    if (s_[k] == '-' || s_[k] == '+') ++k;
    if (!IsDigit(At(k))) return false;
    if (s_[k] == '0' && (At(k + 1) == 'x' || At(k + 1) == 'X') && IsHex(At(k + 2))) {
      // A short 0x literal (not <hex>) stays as written: "0x1F", not "<n>x1F".
      size_t e = k + 2;
      while (IsHex(At(e))) ++e;
      Emit(s_.substr(i_, e - i_));
      i_ = e;
      return true;
    }
    k += DigitsAt(k);
    if (At(k) == '.' && IsDigit(At(k + 1))) k += 1 + DigitsAt(k + 1);
    Emit("<n>");
    i_ = k;
    return true;
  }

  std::string Finish() {
    if (out_.size() > kMaxNormalized) {
      size_t n = kMaxNormalized;
      // Back off to the first byte of a UTF-8 sequence.
      while (n > 0 && (static_cast<unsigned char>(out_[n]) & 0xC0) == 0x80) --n;
      out_.resize(n);
      while (!out_.empty() && out_.back() == ' ') out_.pop_back();
    }
    return out_;
  }

  std::string_view s_;
  size_t i_ = 0;
  std::string out_;
  bool pending_space_ = false;
};

}  // namespace

std::string NormalizeErrorMessage(std::string_view message) { return Normalizer(message).Run(); }

std::string FailureGroupId(std::string_view kind, std::string_view normalized_message) {
  std::string input;
  input.reserve(kind.size() + 1 + normalized_message.size());
  input.append(kind).append("\n").append(normalized_message);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  std::string out;
  if (EVP_Digest(input.data(), input.size(), md, &len, EVP_sha256(), nullptr) != 1 || len < 8) {
    return std::string(16, '0');  // never happens with a working libcrypto
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xF];
  }
  return out;
}

}  // namespace steward
