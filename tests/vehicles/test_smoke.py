def test_vehicle_list_shows_the_orgs_vehicles(advisor_client, vehicle):
    response = advisor_client.get("/vehicles/")
    assert response.status_code == 200
    assert b"Van 1" in response.content
