import localFont from "next/font/local";

// The font ships with the repo, so `next build` needs no access to fonts.googleapis.com.
const openSans = localFont({ src: "./fonts/OpenSans-Regular.woff2", display: "swap" });

export const metadata = { title: "todo" };

export default function RootLayout({ children }) {
  return (
    <html lang="en" className={openSans.className}>
      <body>{children}</body>
    </html>
  );
}
