/**
 * The webview side of a panel's message channel: typed posting to the extension, validated receiving (an
 * invalid message is dropped and counted, never acted on), and the saved view state (getState/setState,
 * which VS Code keeps across hide/show and hands to the serializer after a reload).
 */

interface VsCodeWebviewApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeWebviewApi;

export interface HostChannel<In, Out, State> {
  post(message: Out): void;
  onMessage(handler: (message: In) => void): void;
  getState(): State | undefined;
  setState(state: State): void;
  readonly dropped: { count: number; last?: string };
}

export function connectToHost<In, Out, State>(
  isIncoming: (v: unknown) => v is In,
  isState: (v: unknown) => v is State,
): HostChannel<In, Out, State> {
  const api = acquireVsCodeApi();
  const dropped: { count: number; last?: string } = { count: 0 };
  const handlers: ((m: In) => void)[] = [];
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const data = event.data;
    if (!isIncoming(data)) {
      dropped.count++;
      dropped.last = typeof data === 'object' && data !== null && 'type' in data ? String((data as { type: unknown }).type) : typeof data;
      console.warn(`CubeLab: dropped an invalid message (${dropped.last})`);
      return;
    }
    for (const h of handlers) h(data);
  });
  return {
    post: (m) => api.postMessage(m),
    onMessage: (h) => { handlers.push(h); },
    getState: () => {
      const s = api.getState();
      return isState(s) ? s : undefined;
    },
    setState: (s) => api.setState(s),
    dropped,
  };
}

/** Creates an element with a class and optional text, without innerHTML (the data is never parsed as HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Reads a theme colour (VS Code sets `--vscode-*` variables on the body and updates them on theme change). */
export function themeColor(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}
