document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await fetch("/api/login", {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-Requested-With": "desk"},
    body: JSON.stringify({email: document.getElementById("email").value,
                          password: document.getElementById("password").value}),
  });
  if (response.ok) {
    const user = await response.json();
    window.location = user.role === "trainer" ? "/workbench" : "/console";
    return;
  }
  const body = await response.json().catch(() => ({}));
  document.getElementById("error").textContent = body.error || "Login failed";
});
