/** The login page: agent id and password to the agent API, then on to the console. */

import { AgentApi, ApiError } from "./api";

const MESSAGES: Record<string, string> = {
  invalid_credentials: "That agent id and password don't match.",
  throttled: "Too many failed attempts: wait a moment before trying again.",
  demo_password: "This is a published demo password: ask an administrator to set a real one.",
};

export function startLogin(): void {
  const api = new AgentApi(() => undefined);
  const form = document.getElementById("login") as HTMLFormElement;
  const id = document.getElementById("agent-id") as HTMLInputElement;
  const password = document.getElementById("password") as HTMLInputElement;
  const error = document.getElementById("login-error") as HTMLParagraphElement;
  const show = (text: string): void => {
    error.textContent = text;
    error.hidden = false;
  };
  // Already signed in: straight to the console.
  void api.me().then(
    () => window.location.assign("/console/"),
    () => id.focus(),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!id.value.trim() || !password.value) {
      show("Enter your agent id and password.");
      return;
    }
    const button = form.querySelector("button") as HTMLButtonElement;
    button.disabled = true;
    api.login(id.value.trim(), password.value).then(
      () => window.location.assign("/console/"),
      (problem: unknown) => {
        button.disabled = false;
        password.value = "";
        password.focus();
        show(
          problem instanceof ApiError
            ? (MESSAGES[problem.code] ?? problem.message)
            : "The server cannot be reached. Try again in a moment.",
        );
      },
    );
  });
}
