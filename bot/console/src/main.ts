/** The console's one script: the login page or the console, by `<body data-page>`. */

import { ConsoleApp } from "./app";
import { startLogin } from "./login";

if (document.body.dataset.page === "login") startLogin();
else void new ConsoleApp().start();
