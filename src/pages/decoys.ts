/**
 * What a browser sees when the owner hides the mirror (HOME_PAGE=nginx): a freshly installed nginx, with the pages
 * it ships, so a crawler or a phishing scanner finds nothing that names a registry. Registry paths never come here.
 */
import { htmlResponse } from "./html";

/** nginx's stock welcome page (html/index.html of its distribution). */
const WELCOME = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`;

/** nginx's built-in error page for a status, as its ngx_http_special_response module writes it. */
function errorPage(status: number, reason: string): string {
  return `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

/** The nginx decoy for any browser path: the welcome page at `/`, nginx's 404 elsewhere, its 405 for other methods. */
export function answerNginxDecoy(request: Request, url: URL): Response {
  const path = url.pathname;
  const headers = { "content-type": "text/html" };
  if (request.method !== "GET" && request.method !== "HEAD")
    return htmlResponse(request, errorPage(405, "Not Allowed"), { status: 405, headers });
  if (path !== "/" && path !== "/index.html")
    return htmlResponse(request, errorPage(404, "Not Found"), { status: 404, headers });
  return htmlResponse(request, WELCOME, { headers });
}

/** HOME_PAGE=redirect:URL, for every browser path. */
export function answerRedirect(location: string): Response {
  return new Response(null, { status: 302, headers: { location } });
}
