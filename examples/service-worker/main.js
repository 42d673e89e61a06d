const list = document.getElementById('events');
const show = (text) => list.append(Object.assign(document.createElement('li'), { textContent: text }));

navigator.serviceWorker.addEventListener('message', ({ data }) => show(data));
await navigator.serviceWorker.register('./sw.js');
const { active } = await navigator.serviceWorker.ready;
active.postMessage({ url: new URL('/events', location.href).href });
