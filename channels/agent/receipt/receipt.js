document.querySelector("[data-kefu=print]").addEventListener("click", function () { window.print(); });
