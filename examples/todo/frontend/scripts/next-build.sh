#!/bin/sh
# Stand-in for `next build` (no Node.js here). It keeps what matters to shipshape: next/font/google
# downloads its fonts at build time, so an active `next/font/google` import fails without network with
# Next.js's real error text; next/font/local needs its font file in the repo. The "build" writes .next/.
set -eu
cd "${1:-.}"
echo "  ▲ Next.js 14.2.15"
echo ""
echo "   Creating an optimized production build ..."
# busybox grep has no --include: list the matches, keep source files (an editor's .backup is not compiled)
google=$(grep -rlE "^[[:space:]]*import[^/]*['\"]next/font/google['\"]" app 2>/dev/null | grep -E '\.(js|jsx|ts|tsx|mjs)$' | head -n 1 || true)
if [ -n "$google" ]; then
  family=$(sed -n "s/.*import[[:space:]]*{[[:space:]]*\([A-Za-z_]*\).*next\/font\/google.*/\1/p" "$google" | head -n 1)
  family=$(echo "${family:-Inter}" | tr '_' ' ')
  url="https://fonts.googleapis.com/css2?family=$family:wght@400;700&display=swap"
  for i in 1 2 3; do
    echo "request to $url failed, reason: getaddrinfo ENOTFOUND fonts.googleapis.com"
    echo ""
    echo "Retrying $i/3..."
  done
  cat <<NEXT
Failed to compile.

$google
\`next/font\` error:
Failed to fetch font \`$family\`.
URL: $url
Please check if the network is available.


> Build failed because of webpack errors
NEXT
  exit 1
fi
mkdir -p .next/static/media .next/server/app
for font in $(sed -n 's/.*localFont([^)]*src:[[:space:]]*["'"'"']\.\/\([^"'"'"']*\)["'"'"'].*/\1/p' app/layout.js 2>/dev/null); do
  if [ ! -f "app/$font" ]; then
    echo "Failed to compile."; echo ""; echo "app/layout.js"; echo "\`next/font\` error:"
    echo "Font file not found: Can't resolve './$font'"
    exit 1
  fi
  cp "app/$font" .next/static/media/
done
cp public/index.html .next/server/app/index.html
cat app/layout.js app/page.js | md5sum | cut -c1-21 > .next/BUILD_ID
echo " ✓ Compiled successfully"
echo "Route (app)                              Size     First Load JS"
echo "┌ ○ /                                    142 B          87.2 kB"
echo "└ ƒ /api/health                          0 B                0 B"
