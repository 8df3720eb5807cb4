/**
 * The task page's only script: it follows the transcript over server-sent events and appends each event as the server
 * rendered it (escaped HTML). Without it, the page is still complete once the task has ended.
 */
export const LIVE_SCRIPT = `(function () {
  var list = document.getElementById("events");
  if (!list || list.dataset.live !== "1") return;
  var source = new EventSource(list.dataset.source + "?after=" + encodeURIComponent(list.dataset.after));
  source.addEventListener("entry", function (message) {
    list.insertAdjacentHTML("beforeend", JSON.parse(message.data).html);
  });
  source.addEventListener("end", function (message) {
    source.close();
    var state = document.getElementById("task-state");
    if (state) state.textContent = JSON.parse(message.data).state;
    var note = document.getElementById("live-note");
    if (note) note.textContent = "The task has ended.";
  });
})();
`;
