#!/bin/sh
# make.sh rebuilds the font files in this directory from the packages they
# are published in, and checks them against SHA256SUMS. README.md beside it
# says what each file is and why it was chosen.
#
# Needs apt-get and dpkg-deb with a Debian 12 (bookworm) archive, npm, go,
# and pyftsubset (Debian package "fonttools"; 4.38.0 made the committed
# subset). Run from anywhere: sh internal/typeset/fonts/make.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
apt-get download fonts-noto-core=20201225-1 'fonts-noto-cjk=1:20220127+repack1-1'
for deb in ./*.deb; do dpkg-deb -x "$deb" root; done
npm pack --silent @expo-google-fonts/noto-emoji@0.4.7 >/dev/null
tar xzf expo-google-fonts-noto-emoji-0.4.7.tgz

noto=root/usr/share/fonts/truetype/noto
cp "$noto/NotoSansArabic-Regular.ttf" "$noto/NotoSansArabic-Bold.ttf" "$here/"
cp package/400Regular/NotoEmoji_400Regular.ttf "$here/NotoEmoji-Regular.ttf"

# Noto Sans CJK SC (face 2 of the collection) cut down to the characters
# cjkchars.go lists. Hinting is dropped (the outlines are drawn as paths at
# any size), and so is every layout feature except glyph composition and the
# Japanese localised forms, so that kanji in Japanese text take their
# Japanese shapes.
(cd "$here/../../.." && go run ./internal/typeset/fonts/cjkchars.go) > "$here/cjkchars.txt"
pyftsubset root/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
	--font-number=2 \
	--unicodes-file="$here/cjkchars.txt" \
	--no-hinting \
	--layout-features='ccmp,locl' \
	--layout-scripts='hani.dflt,hani.JAN,kana.dflt,kana.JAN' \
	--output-file="$here/NotoSansCJKsc-Regular-subset.otf"

cd "$here"
sha256sum -c SHA256SUMS
