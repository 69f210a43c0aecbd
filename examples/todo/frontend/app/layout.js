import localFont from "next/font/local";

// The font ships with the repo: next/font/google would fetch it from fonts.googleapis.com at build time,
// which fails where the build has no network ("Failed to fetch font `Inter`.").
const openSans = localFont({ src: "./fonts/OpenSans-Regular.woff2", display: "swap" });

export const metadata = { title: "todo" };

export default function RootLayout({ children }) {
  return (
    <html lang="en" className={openSans.className}>
      <body>{children}</body>
    </html>
  );
}
