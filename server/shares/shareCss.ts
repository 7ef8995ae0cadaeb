/** The share page's only stylesheet, served from the service itself (the page's CSP allows nothing else). */
export const SHARE_CSS = `
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; background: #f5f6f8; color: #1d2129; }
main { max-width: 44rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 8px; box-shadow: 0 1px 4px rgba(0, 0, 0, 0.12); }
h1 { font-size: 1.4rem; margin: 0 0 1rem; word-break: break-all; }
.notice { padding: 0.75rem 1rem; border-radius: 6px; background: #fff1f0; color: #a8071a; }
form { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; }
input { font: inherit; padding: 0.4rem 0.6rem; width: 6rem; border: 1px solid #8a8f99; border-radius: 4px; letter-spacing: 0.2em; }
button, a.button { font: inherit; padding: 0.4rem 1.2rem; border: 0; border-radius: 4px; background: #0b57d0; color: #fff; text-decoration: none; cursor: pointer; display: inline-block; }
table { width: 100%; border-collapse: collapse; margin-top: 1rem; }
th, td { text-align: left; padding: 0.4rem; border-bottom: 1px solid #e5e6eb; word-break: break-all; }
td.size, th:last-child { white-space: nowrap; text-align: right; }
a { color: #0b57d0; }
@media (prefers-color-scheme: dark) {
  body { background: #17181a; color: #e5e6eb; }
  main { background: #232429; }
  th, td { border-color: #3a3c42; }
  a { color: #8ab4f8; }
  a.button, button { background: #8ab4f8; color: #0b1a33; }
  .notice { background: #3b1114; color: #ffb3b8; }
}
`;
