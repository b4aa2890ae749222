// The "Copy" buttons of the calendar-feed page: copy the address of the input named by
// data-copy and say so in the button's status (its text in data-copied, translated).
document.querySelectorAll("button.copy").forEach(function (button) {
  button.addEventListener("click", function () {
    var input = document.getElementById(button.dataset.copy);
    var status = button.parentElement.querySelector(".copied");
    var done = function () { status.textContent = button.dataset.copied; };
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
});
