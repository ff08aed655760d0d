#!/usr/bin/env bash
# Makes the two fonts in this folder: DejaVu Sans and DejaVu Sans Bold from
# Debian's fonts-dejavu-core (2.37), cut down with fontTools' pyftsubset to
# the scripts and symbols Onsite's documents print. The full fonts cover
# some 5,900 characters (Arabic, Hebrew, Georgian, Braille, …) that a quote
# never shows and that made up 0.4 MB of the mobile library (issue 17).
# A character outside the subset prints as the replacement glyph U+FFFD, as
# any character outside DejaVu did before.
#
# Kept: Latin (Basic, Latin-1, Extended-A/B, IPA and spacing modifiers,
# combining diacritics for decomposed input, Latin Extended Additional with
# the capital sharp s), Greek and Coptic, Cyrillic with its supplement,
# general punctuation, super- and subscripts, currency, letterlike symbols
# (№, ™, ℃), number forms (½), arrows, mathematical operators, technical
# symbols (⌀), box drawing, block elements, geometric shapes (■ ●), dingbats
# (✓ ✗), the Latin ligatures and U+FFFD. Hinting, layout tables (kerning,
# ligatures, marks) and the .notdef outline stay as they were.
#
# Needs: pip install fonttools (4.x); apt-get install fonts-dejavu-core.
# Run from anywhere; it rewrites the two .ttf files beside this script.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v pyftsubset >/dev/null || { echo "pyftsubset missing: pip install fonttools" >&2; exit 1; }

unicodes="U+0020-007E,U+00A0-024F,U+0250-02FF,U+0300-036F,U+0370-03FF,U+0400-052F"
unicodes+=",U+1E00-1EFF,U+2000-206F,U+2070-209F,U+20A0-20CF,U+2100-214F,U+2150-218F"
unicodes+=",U+2190-21FF,U+2200-22FF,U+2300-23FF,U+2500-259F,U+25A0-25FF,U+2700-27BF"
unicodes+=",U+FB00-FB06,U+FFFD"

# The sources, checked so a different DejaVu release cannot slip in unseen.
declare -A sha256=(
  [DejaVuSans.ttf]=abdc775b21b1bc470d50c97e790d276f2054b7504e56e5bd3e64f48d68582322
  [DejaVuSans-Bold.ttf]=0d977336a6d5fba34eab8e3199eb218327161b5143749f802982c2bc34df0c96
)
for name in DejaVuSans.ttf DejaVuSans-Bold.ttf; do
  src="$(dpkg -L fonts-dejavu-core 2>/dev/null | grep "/$name\$" | head -n1 || true)"
  [ -n "$src" ] || { echo "$name not found: apt-get install fonts-dejavu-core" >&2; exit 1; }
  echo "${sha256[$name]}  $src" | sha256sum --check --quiet
  pyftsubset "$src" --unicodes="$unicodes" --layout-features='*' --notdef-outline \
    --drop-tables+=FFTM --output-file="$here/$name"
  echo "$name: $(stat -c %s "$here/$name") bytes"
done
