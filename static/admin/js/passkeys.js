// Show the new passkey in the list once django-otp-webauthn's script has registered it.
document.addEventListener("otp_webauthn.register_complete", () => {
  window.setTimeout(() => window.location.reload(), 1000);
});
